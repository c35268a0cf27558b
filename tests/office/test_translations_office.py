"""Translations on the office's agreement pages: who made each and whether the school has
reviewed it, adding and correcting one, marking it reviewed, and family messages in each
family's language."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from parentlink.agreements.models import ClauseTranslation
from parentlink.agreements.translations import MACHINE_ASSISTED, load_seed_translations
from parentlink.db import db
from parentlink.schools.models import School
from tests.builders import csrf_token, published_policy


def _policy_with_seed_translations(app) -> int:
    with app.app_context():
        school = db.session.scalar(select(School))
        version = published_policy(school.id)
        load_seed_translations(school.id, actor="test")
        db.session.commit()
        return version.id


def test_the_version_page_says_who_made_each_translation_and_whether_it_was_reviewed(
    app, admin_client
):
    version_id = _policy_with_seed_translations(app)
    page = admin_client.get(f"/office/agreements/versions/{version_id}").get_data(as_text=True)
    assert "7 points" in page and "words in the summaries" in page  # the page's length
    row = re.search(r'<th scope="row" lang="pl">Polski</th>(.*?)</tr>', page, re.S).group(1)
    assert "18 of 18" in row and MACHINE_ASSISTED in row and "not yet" in row


def test_an_admin_corrects_and_reviews_a_translation_and_parents_see_it(app, admin_client):
    version_id = _policy_with_seed_translations(app)
    url = f"/office/agreements/versions/{version_id}/translations/pl"
    form = admin_client.get(url).get_data(as_text=True)
    fields = dict(re.findall(r'<textarea id="([a-z]+-\d+)"[^>]*>([^<]*)</textarea>', form))
    first_summary = next(name for name in fields if name.startswith("summary-"))
    second_body = [name for name in fields if name.startswith("body-")][1]
    data = {"csrf_token": csrf_token(form), **fields}

    bad = {**data, second_body.replace("body", "summary"): "Podsumowanie w złym miejscu"}
    response = admin_client.post(url, data=bad)
    assert response.status_code == 422
    assert "only the first clause of a point has a summary" in response.get_data(as_text=True)

    data[first_summary] = "Przestrzegaj prawa w sieci i chroń prywatność innych."
    assert admin_client.post(url, data=data).status_code == 303
    with app.app_context():
        changed = db.session.scalar(
            select(ClauseTranslation).where(ClauseTranslation.summary.like("Przestrzegaj%"))
        )
        assert changed.made_by != MACHINE_ASSISTED and not changed.reviewed
    assert admin_client.post(url, data={**data, "reviewed": "yes"}).status_code == 303
    with app.app_context():
        rows = db.session.scalars(
            select(ClauseTranslation).where(ClauseTranslation.language == "pl")
        ).all()
        assert len(rows) == 18 and all(r.reviewed for r in rows)
        other = select(func.count()).where(
            ClauseTranslation.language == "ur", ClauseTranslation.reviewed_at.is_not(None)
        )
        assert db.session.scalar(other) == 0  # only the language reviewed


def test_the_school_turns_family_messages_in_their_language_on_and_off(app, admin_client):
    _policy_with_seed_translations(app)
    page = admin_client.get("/office/agreements").get_data(as_text=True)
    assert "Now: <strong>in English</strong>" in page
    admin_client.post(
        "/office/agreements/family-language", data={"csrf_token": csrf_token(page), "on": "yes"}
    )
    with app.app_context():
        assert db.session.scalar(select(School)).messages_in_family_language
    page = admin_client.get("/office/agreements").get_data(as_text=True)
    assert "Now: <strong>in each family&#39;s language</strong>" in page
