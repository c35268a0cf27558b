"""Screenshots sent with a concern: PNG or JPEG only, size-limited, re-encoded by Pillow so
no metadata (EXIF, GPS, text chunks) survives, kept in a folder outside the web root.

Checking never writes anything: `clean_image` works in memory, and the files are written
only once every screenshot of a report has passed. A file written inside a transaction that
is then rolled back is removed again, so a failed report leaves no orphan picture behind.
"""

from __future__ import annotations

import hashlib
import io
import math
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import event
from sqlalchemy.orm import Session

MAX_FILES = 3
MAX_BYTES = 5 * 1024 * 1024  # per screenshot, as sent
# Pixels are checked from the header, before anything is decoded. A PNG is decoded whole,
# so it may have at most MAX_PIXELS (a long scrolling phone screenshot, 1290 × 12,000, is
# 15.5 million); a JPEG is decoded at 1/2, 1/4 or 1/8 scale (libjpeg's reduce-on-load) to
# about KEEP_PIXELS, so a camera picture may be larger as sent.
MAX_PIXELS = 16_000_000
MAX_JPEG_PIXELS = 64_000_000  # Pillow refuses past 89 million in any case
KEEP_PIXELS = 8_000_000
FORMATS = {"PNG": ("image/png", "png"), "JPEG": ("image/jpeg", "jpg")}


class UploadRefused(ValueError):
    """A screenshot we will not keep; the message is for the parent."""


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def clean_image(stream: BinaryIO, filename: str = "") -> CleanImage:
    """Read one upload and return it re-encoded without metadata, or raise UploadRefused."""
    # The reasons are for the parent, in the page's language (English outside a request).
    label = f'"{filename}"' if filename else _("A screenshot")
    raw = stream.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise UploadRefused(
            _("%(file)s is too large: each screenshot can be up to 5 MB.", file=label)
        )
    if not raw:
        raise UploadRefused(_("%(file)s is empty.", file=label))
    try:
        with warnings.catch_warnings():
            # Pillow warns (and past twice its limit, refuses) on images that would
            # decompress to a huge size; either way we refuse, never just warn.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw), formats=list(FORMATS)) as image:
                kind = "JPEG" if image.format == "MPO" else image.format  # phone cameras
                _decode_within_bounds(image, kind, label)
                ImageOps.exif_transpose(image, in_place=True)
                return _encode(image, kind)
    except UploadRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadRefused(_too_big(label)) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise UploadRefused(
            _(
                "%(file)s is not a picture we can accept: "
                "please send PNG or JPEG screenshots only.",
                file=label,
            )
        ) from None


def _too_big(label: str) -> str:
    return _("%(file)s is too big a picture to accept.", file=label)


def _decode_within_bounds(image: Image.Image, kind: str, label: str) -> None:
    """Decode the pixels (Image.open reads only the header), refusing before any decoding
    what would take too much memory, and reducing a large JPEG while it is decoded."""
    pixels = image.width * image.height
    if pixels > (MAX_JPEG_PIXELS if kind == "JPEG" else MAX_PIXELS):
        raise UploadRefused(_too_big(label))
    if kind == "JPEG" and pixels > KEEP_PIXELS:
        scale = math.sqrt(pixels / KEEP_PIXELS)
        image.draft("RGB", (math.ceil(image.width / scale), math.ceil(image.height / scale)))
    image.load()


def _encode(image: Image.Image, kind: str) -> CleanImage:
    """Write the pixels again, without any of the metadata, and without copying them
    where no conversion is needed."""
    content_type, extension = FORMATS[kind]
    out = io.BytesIO()
    if kind == "JPEG":
        pixels = image if image.mode == "RGB" else image.convert("RGB")
        pixels.info = {}
        pixels.save(out, "JPEG", quality=90)
    else:
        pixels = image
        if image.mode not in {"1", "L", "LA", "RGB", "RGBA", "P"}:
            pixels = image.convert("RGBA")
        pixels.info = {}
        pixels.save(out, "PNG")
    return CleanImage(out.getvalue(), content_type, extension, pixels.width, pixels.height)


def upload_root() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def new_stored_name(school_id: int, extension: str) -> str:
    """A random name that says nothing about the file or the family."""
    return f"concerns/{school_id}/{secrets.token_hex(16)}.{extension}"


_PENDING = "parentlink.uploads.pending"


def write(stored_name: str, data: bytes, session: Session) -> Path:
    """Write one file as part of `session`'s transaction: kept if it commits, removed if it
    rolls back."""
    path = upload_root() / stored_name
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    session.info.setdefault(_PENDING, []).append(path)
    path.write_bytes(data)
    path.chmod(0o600)
    return path


@event.listens_for(Session, "after_commit")
def _keep_written_files(session: Session) -> None:
    session.info.pop(_PENDING, None)


@event.listens_for(Session, "after_rollback")
def _remove_written_files(session: Session) -> None:
    for path in session.info.pop(_PENDING, []):
        path.unlink(missing_ok=True)


def path_of(stored_name: str) -> Path:
    root = upload_root().resolve()
    path = (root / stored_name).resolve()
    if root not in path.parents:
        raise FileNotFoundError(stored_name)
    return path
