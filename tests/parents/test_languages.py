"""Languages: the parent chooses, the choice sticks to the contact, the language shown is
recorded, Urdu is right to left, and the catalogues that ship are complete and compiled."""

from __future__ import annotations

import gettext
import io
import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from sqlalchemy import select

from parentlink.campaigns.models import Confirmation
from parentlink.core.i18n import LANGUAGES, TRANSLATIONS_DIR
from parentlink.db import db
from parentlink.directory.models import Contact
from tests.builders import csrf_token
from tests.parents.family import answers, separated_parents

REPO = Path(__file__).resolve().parents[2]


def _choose(client, token: str, page: str, lang: str):
    return client.post(f"/a/{token}/language", data={"csrf_token": csrf_token(page), "lang": lang})


def test_switching_to_polish_sticks_to_the_contact_and_is_recorded(app, client):
    token, _ = separated_parents(app)
    page = client.get(f"/a/{token}").get_data(as_text=True)
    assert 'lang="en"' in page and 'value="pl"' in page and 'value="ur"' in page
    assert _choose(client, token, page, "pl").status_code == 303
    polish = client.get(f"/a/{token}").get_data(as_text=True)
    assert '<html lang="pl" dir="ltr">' in polish
    assert "Nasze porozumienie o mediach społecznościowych" in polish
    assert "Amelia i Oscar" in polish  # the children listed the Polish way
    assert "Wiążąca jest angielska treść każdego punktu" in polish  # the English wording binds
    assert "Zgadzam się" in polish and "Mam pytanie" in polish
    with app.app_context():
        assert db.session.scalar(select(Contact).where(Contact.mis_id == "C1")).language == "pl"
    # a new browser (no cookies) still gets Polish: the choice is on the contact
    assert "Zgadzam się" in app.test_client().get(f"/a/{token}").get_data(as_text=True)
    client.post(f"/a/{token}", data=answers(app, polish))
    receipt = client.get(f"/a/{token}").get_data(as_text=True)
    assert "Dziękujemy, Twoje odpowiedzi zostały zapisane" in receipt
    with app.app_context():
        assert db.session.scalar(select(Confirmation)).language == "pl"


def test_urdu_is_right_to_left(app, client):
    token, _ = separated_parents(app)
    page = client.get(f"/a/{token}").get_data(as_text=True)
    _choose(client, token, page, "ur")
    urdu = client.get(f"/a/{token}").get_data(as_text=True)
    assert '<html lang="ur" dir="rtl">' in urdu
    assert "ہمارا سوشل میڈیا معاہدہ" in urdu
    assert 'class="wording" lang="en" dir="ltr"' in urdu  # the binding English wording


def test_an_unknown_language_changes_nothing(app, client):
    token, _ = separated_parents(app)
    page = client.get(f"/a/{token}").get_data(as_text=True)
    assert _choose(client, token, page, "xx").status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Contact).where(Contact.mis_id == "C1")).language == "en"


def test_pages_without_a_link_follow_the_browser(client):
    page = client.get("/privacy", headers={"Accept-Language": "pl,en;q=0.5"})
    assert "Informacja o prywatności" in page.get_data(as_text=True)
    assert "Deklaracja dostępności" in client.get("/accessibility?lang=pl").get_data(as_text=True)
    assert "Accessibility statement" in client.get("/accessibility").get_data(as_text=True)


def _translated(message) -> bool:
    """Every form filled in (plurals too) and not a fuzzy guess by `pybabel update`."""
    forms = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(forms) and not message.fuzzy


def _without_compiler(translations: gettext.GNUTranslations) -> dict:
    catalog = dict(translations._catalog)
    catalog[""] = "\n".join(
        line for line in catalog.get("", "").splitlines() if not line.startswith("Generated-By:")
    )
    return catalog


def test_every_interface_string_is_translated_and_the_shipped_mo_files_are_current(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            str(Path(sys.executable).parent / "pybabel"),
            "extract",
            "-F",
            str(TRANSLATIONS_DIR / "babel.cfg"),
            "-k",
            "_l",
            "-o",
            str(pot),
            ".",
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as file:
        wanted = {m.id for m in read_po(file) if m.id}
    for code in LANGUAGES:
        if code == "en":
            continue
        folder = TRANSLATIONS_DIR / code / "LC_MESSAGES"
        with (folder / "messages.po").open("rb") as file:
            catalog = read_po(file, locale=code)
        assert wanted - {m.id for m in catalog if m.id} == set(), f"run pybabel update ({code})"
        untranslated = [m.id for m in catalog if m.id and not _translated(m)]
        assert untranslated == [], code
        broken = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check()]
        assert broken == [], code  # every %(placeholder)s kept, none added
        compiled = io.BytesIO()
        write_mo(compiled, catalog)
        with (folder / "messages.mo").open("rb") as file:
            shipped = gettext.GNUTranslations(file)
        fresh = gettext.GNUTranslations(io.BytesIO(compiled.getvalue()))
        # The header names the Babel that compiled it ("Generated-By: Babel 2.18.0"): compare
        # every message and the header's other fields, never the compiler's version.
        assert _without_compiler(shipped) == _without_compiler(fresh), (
            f"run pybabel compile for {code}"
        )


def test_the_error_pages_speak_the_language_asked_for(client):
    for response in (
        client.get("/no-such-page?lang=pl"),
        client.get("/no-such-page", headers={"Accept-Language": "pl,en;q=0.5"}),
    ):
        page = response.get_data(as_text=True)
        assert response.status_code == 404 and '<html lang="pl" dir="ltr">' in page
        assert "Nie znaleziono strony" in page and "Błąd 404" in page
        assert "Page not found" not in page
    unknown = client.get("/a/AAAAAAAAAAAAAAAAAAAAAA?lang=pl")  # an unknown personal link
    assert unknown.status_code == 404 and "Ten link nie działa" in unknown.get_data(as_text=True)
    english = client.get("/no-such-page").get_data(as_text=True)
    assert "Page not found" in english and "Error 404" in english


def test_an_expired_form_on_a_personal_link_is_explained_in_the_contacts_language(app, client):
    token, _ = separated_parents(app)
    with app.app_context():
        db.session.scalar(select(Contact).where(Contact.mis_id == "C1")).language = "ur"
        db.session.commit()
    response = client.post(f"/a/{token}/concern", data={"description": "no form token"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and '<html lang="ur" dir="rtl">' in page
    assert "اس فارم کی مدت ختم ہو گئی ہے" in page and "This form has expired" not in page
    # an unknown link tells nothing apart: the browser's language, not a contact's
    unknown = client.post("/a/AAAAAAAAAAAAAAAAAAAAAA/concern", data={})
    assert unknown.status_code == 400 and "This form has expired" in unknown.get_data(as_text=True)
