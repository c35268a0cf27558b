"""Changing the agreement from the office: draft, edit a clause, publish minor or major."""

from __future__ import annotations

import re

from sqlalchemy import select

from parentlink.agreements.models import AgreementVersion, VersionStatus
from parentlink.db import db
from tests.builders import csrf_token, published_policy, school
from tests.office.sign_in import sign_in, staff_with_two_factor


def test_an_admin_drafts_edits_and_publishes_a_minor_change(app, client):
    with app.app_context():
        the_school = school()
        first = published_policy(the_school.id)
        first_sha = first.sha256
        staff_with_two_factor(the_school.id, "admin@example.com", "admin")
        db.session.commit()
    sign_in(client, "admin@example.com", two_factor=True)
    page = client.get("/office/agreements").get_data(as_text=True)
    action = re.search(r'action="(/office/agreements/versions/\d+/draft)"', page).group(1)
    response = client.post(action, data={"csrf_token": csrf_token(page)})
    draft_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Draft 1.1 is ready to edit" in draft_page
    edit_url = re.search(r'href="(/office/agreements/clauses/\d+)"', draft_page).group(1)
    form = client.get(edit_url).get_data(as_text=True)
    bad = client.post(edit_url, data={"csrf_token": csrf_token(form), "summary": "", "body": "x",
                                      "position": "1", "audiences": ["staff"]})  # fmt: skip
    assert bad.status_code == 422
    good = client.post(edit_url, data={"csrf_token": csrf_token(form), "summary": "Be kind online.",
                                       "body": "We are kind online, always.", "position": "1",
                                       "audiences": ["parents-carers", "staff"]})  # fmt: skip
    assert good.status_code == 303
    version_page = client.get(good.headers["Location"]).get_data(as_text=True)
    assert "Be kind online." in version_page
    publish = re.search(r'action="(/office/agreements/versions/\d+/publish)"', version_page)
    client.post(publish.group(1), data={"csrf_token": csrf_token(version_page), "change": "minor"})
    with app.app_context():
        versions = {v.label: v for v in db.session.scalars(select(AgreementVersion))}
        assert (
            versions["1.0"].status is VersionStatus.RETIRED and versions["1.0"].sha256 == first_sha
        )
        new = versions["1.1"]
        assert new.status is VersionStatus.PUBLISHED and not new.is_major
        assert new.sha256 and new.sha256 != first_sha
    # A published clause is frozen: its edit page refuses.
    assert client.get(edit_url).status_code == 409
