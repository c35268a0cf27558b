"""The agreement page a family sees again comes from a page rendered once per process
(parentlink/parents/pages.py, plain_agreement): each family still sees its own names, link
and CSRF token, escaped, in its own language, with the current translation and version."""

from __future__ import annotations

import re
import time

from sqlalchemy import select, update

from parentlink.campaigns.models import Confirmation
from parentlink.db import db
from parentlink.directory.models import Contact
from parentlink.messaging.models import MessageKind
from tests.agreements.test_translations import POLISH
from tests.builders import csrf_token
from tests.parents.family import (
    answers,
    relaunch_with_version_two,
    separated_parents,
    token_for,
)


def _without_csrf(page: str) -> str:
    return re.sub(r'name="csrf_token" type="hidden" value="[^"]+"', "CSRF", page)


def _rename(app, mis_id: str, first_name: str) -> None:
    with app.app_context():
        db.session.execute(
            update(Contact).where(Contact.mis_id == mis_id).values(first_name=first_name)
        )
        db.session.commit()


def test_each_family_sees_its_own_names_link_and_csrf_token(app):
    amelia_and_oscar, amelia = separated_parents(app)
    first, second = app.test_client(), app.test_client()
    opened = first.get(f"/a/{amelia_and_oscar}").get_data(as_text=True)  # the full render
    again = first.get(f"/a/{amelia_and_oscar}").get_data(as_text=True)
    assert _without_csrf(again) == _without_csrf(opened)
    second.get(f"/a/{amelia}")
    other = second.get(f"/a/{amelia}").get_data(as_text=True)
    assert "Hello CarerC1." in again and "for Amelia and Oscar." in again
    assert "Hello CarerC2." in other and "for Amelia." in other
    assert f'action="/a/{amelia_and_oscar}"' in again and amelia not in again
    assert f'action="/a/{amelia}/language"' in other and amelia_and_oscar not in other
    assert f'href="/a/{amelia}/concern"' in other
    assert csrf_token(again) != csrf_token(other)  # each browser its own
    # the token on the kept page belongs to this browser's session: the answers are taken
    sent = second.post(f"/a/{amelia}", data=answers(app, other))
    assert sent.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Confirmation.typed_name)) == "Sarah Example"


def test_names_are_escaped_on_the_kept_page(app, client):
    token, other = separated_parents(app)
    client.get(f"/a/{token}")  # opened: later visits come from the kept page
    app.test_client().get(f"/a/{other}")
    app.test_client().get(f"/a/{other}")
    _rename(app, "C1", "<script>alert(1)</script>")
    page = client.get(f"/a/{token}").get_data(as_text=True)
    assert "Hello &lt;script&gt;alert(1)&lt;/script&gt;." in page
    assert "<script>" not in page
    _rename(app, "C1", "O'Brien & Sons")
    page = client.get(f"/a/{token}").get_data(as_text=True)
    assert "Hello O&#39;Brien &amp; Sons." in page
    _rename(app, "C1", "zqPLslottokenqz")  # looks like the page's own marker: stays text
    page = client.get(f"/a/{token}").get_data(as_text=True)
    assert "Hello zqPLslottokenqz." in page


def test_kept_pages_differ_by_language(app, client):
    token, other = separated_parents(app)
    english = client.get(f"/a/{token}").get_data(as_text=True)
    client.post(f"/a/{token}/language", data={"csrf_token": csrf_token(english), "lang": "pl"})
    client.get(f"/a/{token}")
    polish = client.get(f"/a/{token}").get_data(as_text=True)
    assert '<html lang="pl" dir="ltr">' in polish and "Amelia i Oscar" in polish
    visitor = app.test_client()
    visitor.get(f"/a/{other}")
    still_english = visitor.get(f"/a/{other}").get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in still_english and "Hello CarerC2." in still_english


def test_a_new_translation_is_shown_at_once(app, client, tmp_path):
    token, _ = separated_parents(app)
    english = client.get(f"/a/{token}").get_data(as_text=True)
    client.post(f"/a/{token}/language", data={"csrf_token": csrf_token(english), "lang": "pl"})
    before = client.get(f"/a/{token}").get_data(as_text=True)
    assert "Prosimy przestrzegać prawa" not in before
    file = tmp_path / "pl.toml"
    file.write_text(POLISH, encoding="utf-8")
    app.test_cli_runner().invoke(args=["agreement", "translate", str(file)])
    assert "Prosimy przestrzegać prawa" in client.get(f"/a/{token}").get_data(as_text=True)
    file.write_text(POLISH.replace("Prosimy", "Bardzo prosimy"), encoding="utf-8")
    app.test_cli_runner().invoke(args=["agreement", "translate", str(file)])
    assert "Bardzo prosimy przestrzegać" in client.get(f"/a/{token}").get_data(as_text=True)


def test_a_new_version_is_shown_not_the_kept_page_of_the_last(app, client, tmp_path):
    token, _ = separated_parents(app)
    client.get(f"/a/{token}")
    assert "version 1.0" in client.get(f"/a/{token}").get_data(as_text=True)
    relaunch_with_version_two(app, tmp_path)
    with app.app_context():
        new_token = token_for("C1")
    assert new_token != token
    client.get(f"/a/{new_token}")
    page = client.get(f"/a/{new_token}").get_data(as_text=True)
    assert "This is version 2.0 of the school" in page
    assert "ask before you post photos" in page  # the clause 2.0 added


def _post_errors(app, client, token: str, **changes) -> str:
    client.get(f"/a/{token}")
    page = client.get(f"/a/{token}").get_data(as_text=True)
    data = answers(app, page)
    data.update(changes)
    response = client.post(f"/a/{token}", data={k: v for k, v in data.items() if v is not None})
    assert response.status_code == 422
    return response.get_data(as_text=True)


def test_a_form_sent_back_shows_each_family_its_own_values(app):
    first, second = separated_parents(app)
    one = _post_errors(app, app.test_client(), first, typed_name="")
    two = _post_errors(app, app.test_client(), second, typed_name="")
    for page, token, name in ((one, first, "CarerC1"), (two, second, "CarerC2")):
        assert "<title>Error:" in page and "Please type your name to confirm." in page
        assert 'href="#typed_name"' in page and 'id="typed_name-error"' in page
        assert f"Hello {name}." in page and f'action="/a/{token}"' in page
    assert first not in two and "CarerC1" not in two
    typed = _post_errors(app, app.test_client(), second, typed_name='"><script>x', q3="?" * 2001)
    assert 'value="&#34;&gt;&lt;script&gt;x"' in typed and "<script>" not in typed
    assert 'id="q3-error"' in typed and 'id="typed_name-error"' not in typed


def test_a_question_typed_is_shown_back_only_to_its_family(app):
    first, second = separated_parents(app)
    asked = _post_errors(app, app.test_client(), first, typed_name="", q1="Is <b>this</b> ok?")
    assert "Is &lt;b&gt;this&lt;/b&gt; ok?</textarea>" in asked
    other = _post_errors(app, app.test_client(), second, typed_name="", q1="")
    assert "Is &lt;b&gt;" not in other and '<details class="ask" open>' not in other


def test_a_form_sent_back_keeps_the_token_the_browser_sent_and_then_confirms(app, client):
    token, _ = separated_parents(app)
    client.get(f"/a/{token}")
    page = client.get(f"/a/{token}").get_data(as_text=True)
    data = answers(app, page)
    time.sleep(1.1)  # a token signed now would differ (it carries the second it was signed)
    back = client.post(f"/a/{token}", data={**data, "typed_name": ""})
    assert back.status_code == 422
    again = back.get_data(as_text=True)
    assert csrf_token(again) == data["csrf_token"]  # checked, then put back as it came
    assert client.post(f"/a/{token}", data=answers(app, again)).status_code == 303
    stranger = app.test_client()  # someone else's browser cannot use the page's token
    assert stranger.post(f"/a/{token}", data=answers(app, again)).status_code == 400


def test_a_later_link_reaches_the_kept_page_too(app, client):
    old, _ = separated_parents(app)
    page = client.get("/a/AAAAAAAAAAAAAAAAAAAAAA").get_data(as_text=True)
    client.post("/link/new", data={"csrf_token": csrf_token(page), "address": "07700 900001"})
    with app.app_context():
        new = token_for("C1", MessageKind.NEW_LINK)
    client.get(f"/a/{new}")  # the first open, recorded
    again = client.get(f"/a/{new}")  # found through the invitation's later link
    assert again.status_code == 200
    html = again.get_data(as_text=True)
    assert "Hello CarerC1." in html and f'action="/a/{new}"' in html and old not in html
    assert client.get(f"/a/{old}").status_code == 404
