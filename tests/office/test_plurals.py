"""Counts read right at one: "1 carer", "1 pupil", "1 household", never "1 carers". The office
pages and messages go through Babel's ngettext (templates) or core.i18n.english_plural."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from parentlink.campaigns.services import launch_campaign
from parentlink.core.clock import now
from parentlink.db import db
from parentlink.directory.importer import import_families
from parentlink.directory.models import Pupil
from parentlink.schools.models import School
from tests.builders import csrf_token, csv_bytes, family_row, published_policy
from tests.parents.family import token_for

NOUNS = (
    "carers|pupils|households|messages|questions|withdrawals|accounts|texts|events|reminders|"
    "points|children|words|minutes|hours|segments|closures|terms|problems|leavers|contacts|"
    "links|emails|text messages|families|clauses|characters|rows"
)
ONE_PLURAL = re.compile(rf"(?<![\d.,])\b1 (?:{NOUNS})\b")


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_pattern_finds_a_wrong_plural():
    assert ONE_PLURAL.search(text_of("<p><span>1</span> carers invited</p>"))
    assert not ONE_PLURAL.search("1 carer invited; 21 carers; 0.1 points; 11 pupils")


def _one_family(app) -> tuple[int, int, str]:
    with app.app_context():
        the_school = db.session.scalar(select(School))
        version = published_policy(the_school.id)
        import_families(
            the_school.id, csv_bytes([family_row("P1", "C1", pupil_first_name="Amelia")])
        )
        summary = launch_campaign(
            the_school, version, name="Autumn", closes_at=now() + timedelta(days=21), actor="test"
        )
        db.session.commit()
        pupil_id = db.session.scalar(select(Pupil.id))
        return summary.campaign.id, pupil_id, token_for("C1")


def _check(client, paths) -> None:
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        found = ONE_PLURAL.findall(text_of(response.get_data(as_text=True)))
        assert found == [], (path, found)


def test_office_pages_say_one_of_a_thing_in_the_singular(app, admin_client):
    campaign, pupil, token = _one_family(app)
    _check(
        admin_client,
        [
            "/office/", f"/office/?campaign={campaign}", "/office/families",
            "/office/not-answered", "/office/not-answered/call-list", "/office/campaigns",
            f"/office/campaigns/{campaign}", "/office/messages", "/office/staff",
            f"/office/families/{pupil}",
        ],
    )  # fmt: skip
    parent = app.test_client()
    page = parent.get(f"/a/{token}").get_data(as_text=True)
    parent.post(
        f"/a/{token}",
        data={"csrf_token": csrf_token(page), "typed_name": "Sarah Example", "q1": "Is X fine?"},
    )
    _check(
        admin_client,
        ["/office/", "/office/questions", f"/office/families/{pupil}",
         f"/office/families/{pupil}/evidence"],
    )  # fmt: skip
    body = text_of(admin_client.get("/office/").get_data(as_text=True))
    assert "1 question to answer" in body and "1 carer invited" in body
