"""The school's logo: uploaded by an administrator, re-encoded here, shown on the parent
pages and in family emails.

Whatever is uploaded (PNG, JPEG, GIF or WebP) is decoded by Pillow within bounds and written
again as a PNG of at most 10 KB, without any of the file's metadata (EXIF, text chunks,
colour profiles): made smaller until it fits, first by reducing it to 256 colours, then by
scaling it down. PNG because every mail client shows it (Outlook does not show WebP). SVG is
refused (it can carry scripts and links), as is anything that is not a picture or would take
too much memory to decode. A refusal changes nothing; a change is in the audit log.

The logo is served at a URL naming its SHA-256, so it can be cached for a year: a new logo
is a new URL.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from dataclasses import dataclass

from flask import Response, abort, request, url_for
from PIL import Image, UnidentifiedImageError
from sqlalchemy import select

from parentlink.core.audit import record
from parentlink.db import db
from parentlink.schools.models import School

MAX_UPLOAD_BYTES = 2 * 1024 * 1024  # as sent
MAX_PIXELS = 25_000_000  # read from the header, before anything is decoded
MAX_LOGO_BYTES = 10 * 1024  # as kept and served
BOX = (480, 160)  # the largest logo kept: 40 px high on the page, sharp on a 4x screen
SMALLEST_SIDE = 16  # below this it is no longer a logo
FORMATS = ["PNG", "JPEG", "GIF", "WEBP"]
CONTENT_TYPE = "image/png"
ONE_YEAR = 365 * 24 * 3600


class LogoRefused(ValueError):
    """An upload we will not use as the logo; the message says why, for the office."""


@dataclass(frozen=True)
class Logo:
    data: bytes
    width: int
    height: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def clean_logo(raw: bytes, filename: str = "") -> Logo:
    """The upload re-encoded as a small PNG without metadata, or LogoRefused."""
    if not raw:
        raise LogoRefused("The file is empty: choose the logo's picture file.")
    if len(raw) > MAX_UPLOAD_BYTES:
        raise LogoRefused("The file is larger than 2 MB: choose a smaller picture of the logo.")
    head = raw[:1024].lstrip().lower()
    if filename.lower().endswith((".svg", ".svgz")) or head.startswith((b"<?xml", b"<svg")):
        raise LogoRefused(
            "SVG logos cannot be used (an SVG can carry scripts): "
            "save the logo as PNG or JPEG and upload that."
        )
    try:
        with warnings.catch_warnings():
            # Pillow warns past its pixel limit and refuses past twice it: we refuse both.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw), formats=FORMATS) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise LogoRefused(_too_big())
                image.seek(0)  # an animated GIF or WebP: its first frame
                image.load()
                pixels = image.convert("RGBA" if _has_alpha(image) else "RGB")
    except LogoRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise LogoRefused(_too_big()) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise LogoRefused(
            "This file is not a picture we can use: upload the logo as PNG, JPEG, GIF or WebP."
        ) from None
    return _small_png(pixels)


def _too_big() -> str:
    return "This picture is too large to use (more than 25 million pixels): upload a smaller one."


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in {"RGBA", "LA", "PA"} or "transparency" in image.info


def _small_png(pixels: Image.Image) -> Logo:
    """The picture as a PNG of at most MAX_LOGO_BYTES: in the box, then fewer colours, then
    smaller and smaller."""
    pixels.thumbnail(BOX, Image.Resampling.LANCZOS)
    while True:
        for candidate in (pixels, _fewer_colours(pixels)):
            out = io.BytesIO()
            candidate.save(out, "PNG", optimize=True)  # no info, no profile: nothing but pixels
            if out.tell() <= MAX_LOGO_BYTES:
                return Logo(out.getvalue(), candidate.width, candidate.height)
        width, height = round(pixels.width * 0.8), round(pixels.height * 0.8)
        if min(width, height) < SMALLEST_SIDE:
            raise LogoRefused(
                "This picture cannot be made small enough for a logo (10 KB): "
                "upload a simpler one, such as the logo on a plain background."
            )
        pixels = pixels.resize((width, height), Image.Resampling.LANCZOS)


def _fewer_colours(pixels: Image.Image) -> Image.Image:
    method = Image.Quantize.FASTOCTREE if pixels.mode == "RGBA" else Image.Quantize.MEDIANCUT
    return pixels.quantize(colors=256, method=method)


def set_logo(school: School, raw: bytes, *, actor: str, filename: str = "") -> Logo:
    """Make the upload the school's logo (LogoRefused changes nothing)."""
    logo = clean_logo(raw, filename)
    replaced = school.logo_sha256
    school.logo, school.logo_type, school.logo_sha256 = logo.data, CONTENT_TYPE, logo.sha256
    school.logo_width, school.logo_height = logo.width, logo.height
    record(
        "school.logo_set", actor=actor, school_id=school.id, subject=f"school:{school.id}",
        sha256=logo.sha256, bytes=len(logo.data), size=f"{logo.width}x{logo.height}",
        uploaded_bytes=len(raw), replaced=replaced,
    )  # fmt: skip
    return logo


def remove_logo(school: School, *, actor: str) -> bool:
    """No logo any more; False if there was none."""
    if school.logo_sha256 is None:
        return False
    record(
        "school.logo_removed", actor=actor, school_id=school.id, subject=f"school:{school.id}",
        sha256=school.logo_sha256,
    )  # fmt: skip
    school.logo = school.logo_type = school.logo_sha256 = None
    school.logo_width = school.logo_height = None
    return True


def logo_url(school, *, external: bool = False) -> str | None:
    """The logo's versioned address, or None without a logo."""
    sha = getattr(school, "logo_sha256", None)
    if not sha:
        return None
    return url_for("parents.school_logo", school_id=school.id, sha=sha, _external=external)


def logo_response(school_id: int, sha: str) -> Response:
    """The logo at its versioned URL: cached for a year (it never changes at that URL), with
    its hash as ETag; an old or unknown version is 404."""
    if request.if_none_match.contains(sha) and _current(school_id) == sha:
        response = Response(status=304)
    else:
        row = db.session.execute(
            select(School.logo, School.logo_type).where(
                School.id == school_id, School.logo_sha256 == sha
            )
        ).first()
        if row is None or row.logo is None:
            abort(404)
        response = Response(row.logo, mimetype=row.logo_type)
    response.set_etag(sha)
    response.cache_control.public = True
    response.cache_control.max_age = ONE_YEAR
    response.cache_control.immutable = True
    return response


def _current(school_id: int) -> str | None:
    return db.session.scalar(select(School.logo_sha256).where(School.id == school_id))


def school_logos(school_ids) -> dict[int, tuple[str, bytes]]:
    """{school id: (sha256, PNG bytes)} of the schools given that have a logo (for emails)."""
    school_ids = set(school_ids)
    if not school_ids:
        return {}
    rows = db.session.execute(
        select(School.id, School.logo_sha256, School.logo).where(
            School.id.in_(school_ids), School.logo_sha256.is_not(None)
        )
    )
    return {row.id: (row.logo_sha256, row.logo) for row in rows}


# In emails the logo travels inside the message (multipart/related, Content-ID): mail clients
# show it without "show images" (Outlook blocks remote pictures by default, and a remote
# picture tells whoever serves it when the email was opened); a data: URI is dropped by Gmail
# and Outlook. The HTML names the version, so a logo changed before sending is never wrong.
EMAIL_HEIGHT = 48  # pixels, as shown in the email
CID_PREFIX = "school-logo-"


def _cid(sha: str) -> str:
    """Short enough that the Content-ID header is never folded; 64 bits name a version."""
    return f"{CID_PREFIX}{sha[:16]}@parentlink"


def email_logo(school) -> dict | None:
    """What an email's layout needs to show the logo: its Content-ID and shown size."""
    sha, width, height = (getattr(school, a, None) for a in ("logo_sha256", "logo_width",
                                                              "logo_height"))  # fmt: skip
    if not sha or not width or not height:
        return None
    shown = min(EMAIL_HEIGHT, height)
    return {"cid": _cid(sha), "width": round(width * shown / height),
            "height": shown}  # fmt: skip


def inline_images(html: str | None, logo: tuple[str, bytes] | None) -> tuple[str | None, tuple]:
    """(the HTML, its images as (Content-ID, content type, bytes)) for sending: the school's
    logo attached when the HTML shows it, and its <img> taken out if the logo was removed or
    replaced after the message was written."""
    if not html or f"cid:{CID_PREFIX}" not in html:
        return html, ()
    if logo is not None and f"cid:{_cid(logo[0])}" in html:
        return html, ((_cid(logo[0]), CONTENT_TYPE, logo[1]),)
    return _STALE_IMG.sub("", html), ()


_STALE_IMG = re.compile(r'<img [^>]*src="cid:' + CID_PREFIX + r'[^"]*"[^>]*>\s*')
