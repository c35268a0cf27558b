"""A school with one family, a launched campaign, and a staff account for every role."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from parentlink.db import db
from parentlink.directory.models import Contact
from parentlink.messaging.models import Message
from tests.builders import family_row, launched, staff
from tests.office.sign_in import sign_in, staff_with_two_factor

ROLES = ("admin", "office", "viewer", "dsl")
TWO_FACTOR = ("admin", "dsl")  # their roles need a second factor


def seed(app) -> str:
    """Returns the personal-link token of Sarah (mother of Amelia and Oscar)."""
    with app.app_context():
        summary = launched(
            [
                family_row("P1", "C1", pupil_first_name="Amelia", contact_first_name="Sarah"),
                family_row("P2", "C1", pupil_first_name="Oscar", contact_first_name="Sarah"),
                family_row("P3", "C2", pupil_first_name="Ruby", contact_first_name="Dan"),
            ]
        )
        school_id = summary.campaign.school_id
        for role in ROLES:
            if role in TWO_FACTOR:
                staff_with_two_factor(school_id, f"{role}@example.com", role)
            else:
                staff(school_id, email=f"{role}@example.com", role=role)
        db.session.commit()
        return token_of("C1")


def token_of(mis_id: str) -> str:
    return db.session.scalar(
        select(Message.link_token)
        .join(Contact, Contact.id == Message.contact_id)
        .where(Contact.mis_id == mis_id)
    )


def login(client, role: str):
    """Sign in through the real pages, with a TOTP code for the roles that need one."""
    sign_in(client, f"{role}@example.com", two_factor=role.removeprefix("other") in TWO_FACTOR)


def picture(fmt: str = "PNG", size=(60, 40), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, fmt, **save)
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SpyCamMaker"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (51.0, 30.0, 12.0)
    gps[3] = "W"
    gps[4] = (0.0, 7.0, 40.0)
    return picture("JPEG", exif=exif.tobytes())
