"""Build test data through the same use cases the app runs (no hand-made rows)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from parentlink.agreements.services import COATES_LANE_POLICY, load_version, publish
from parentlink.campaigns.services import launch_campaign
from parentlink.core.clock import now
from parentlink.db import db
from parentlink.directory.importer import COLUMNS, import_families
from parentlink.office.services import create_staff
from parentlink.schools.services import create_school

STAFF_PASSWORD = "correct horse battery staple"  # noqa: S105


def family_row(pupil: str, contact: str, **values: str) -> dict[str, str]:
    """One CSV row; pupil P1 and contact C1 get plausible defaults."""
    n = int(re.sub(r"\D", "", contact) or 0)
    row = {
        "pupil_id": pupil,
        "pupil_first_name": f"Child{pupil}",
        "pupil_last_name": "Example",
        "year_group": "Year 3",
        "class": "Kestrels",
        "contact_id": contact,
        "contact_first_name": f"Carer{contact}",
        "contact_last_name": "Example",
        "relationship": "Mother",
        "parental_responsibility": "yes",
        "mobile": f"07700 900{n:03d}",
        "email": f"carer{n}@example.com",
        "preferred_channel": "sms",
    }
    row.update(values)
    return row


def csv_bytes(rows: list[dict[str, str]], columns=COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def school():
    return create_school(
        name="Coates Lane Primary School",
        short_name="Coates Lane Primary",
        slug="coates-lane",
        office_phone="01632 960123",
    )


def published_policy(school_id: int):
    return publish(load_version(school_id, COATES_LANE_POLICY, actor="test"), actor="test")


def staff(school_id: int, email: str = "office@example.com", role: str = "office"):
    return create_staff(
        school_id,
        email=email,
        name="Office Tester",
        role=role,
        password=STAFF_PASSWORD,
        actor="test",
    )


def launched(rows: list[dict[str, str]], *, days_open: int = 21):
    """A school with the policy published, these families, and a launched campaign."""
    the_school = school()
    version = published_policy(the_school.id)
    import_families(the_school.id, csv_bytes(rows))
    summary = launch_campaign(
        the_school,
        version,
        name="Autumn round",
        closes_at=now() + timedelta(days=days_open),
        actor="test",
    )
    db.session.commit()
    return summary


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)
