"""Every parent page uses each id once (a second `id="csrf_token"` from the language switch
once broke label and fragment links): checked in every state, with and without a logo.
axe-core no longer reports duplicate ids (its rules were retired in 4.7), so this test and
tests/parents/browser.py's assert_accessible check it themselves."""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

import pytest

from parentlink.db import db
from parentlink.schools.logo import set_logo
from parentlink.schools.models import School
from tests.builders import csrf_token, family_row, launched
from tests.office.test_school_logo import crest
from tests.parents.family import token_for


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: Counter[str] = Counter()

    def handle_starttag(self, tag, attrs) -> None:
        for name, value in attrs:
            if name == "id":
                self.ids[value] += 1


def repeated_ids(html: str) -> list[str]:
    parser = _Ids()
    parser.feed(html)
    return [name for name, count in parser.ids.items() if count > 1]


def test_the_checker_finds_a_repeated_id():
    assert repeated_ids('<input id="csrf_token"><p id="x"></p><input id="csrf_token">') == [
        "csrf_token"
    ]


@pytest.mark.parametrize("logo", [False, True], ids=["no-logo", "logo"])
def test_no_parent_page_repeats_an_id(app, client, logo):
    with app.app_context():
        launched([family_row("P1", "C1", pupil_first_name="Amelia")])
        if logo:
            set_logo(db.session.query(School).one(), crest(), actor="test")
            db.session.commit()
        token = token_for("C1")
    pages = {}
    pages["agreement, first open"] = client.get(f"/a/{token}").get_data(as_text=True)
    pages["agreement, cached"] = client.get(f"/a/{token}").get_data(as_text=True)
    token_value = csrf_token(pages["agreement, cached"])
    pages["errors"] = client.post(f"/a/{token}", data={"csrf_token": token_value}).get_data(
        as_text=True
    )
    pages["concern"] = client.get(f"/a/{token}/concern").get_data(as_text=True)
    pages["link not working"] = client.get("/a/AAAAAAAAAAAAAAAAAAAAAA").get_data(as_text=True)
    pages["new link"] = client.get("/link/new").get_data(as_text=True)
    client.post(f"/a/{token}", data={"csrf_token": token_value, "typed_name": "Sarah Example"})
    pages["receipt"] = client.get(f"/a/{token}").get_data(as_text=True)
    pages["are you sure"] = client.post(
        f"/a/{token}/withdraw", data={"csrf_token": csrf_token(pages["receipt"])}
    ).get_data(as_text=True)
    assert "withdraw-check" in pages["are you sure"]
    for state, html in pages.items():
        assert repeated_ids(html) == [], state
        assert ("/school-logo/" in html) is logo, state
