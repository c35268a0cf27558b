"""A school with one family, a launched campaign, and a staff account for every role."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from parentlink.db import db
from parentlink.directory.models import Contact
from parentlink.messaging.models import Message
from tests.builders import STAFF_PASSWORD, csrf_token, family_row, launched, staff

ROLES = ("admin", "office", "viewer", "dsl")


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
    page = client.get("/office/login").get_data(as_text=True)
    response = client.post(
        "/office/login",
        data={
            "csrf_token": csrf_token(page),
            "email": f"{role}@example.com",
            "password": STAFF_PASSWORD,
        },
    )
    assert response.status_code == 303
    return response


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
