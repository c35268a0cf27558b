"""The concern pages speak the parent's language: the one stored on their contact, as on the
agreement page. Polish is left to right, Urdu right to left; "999" stays as it is."""

from __future__ import annotations

import html
import io

import pytest
from sqlalchemy import select

from parentlink.db import db
from parentlink.directory.models import Contact
from tests.builders import csrf_token
from tests.concerns.family import seed
from tests.concerns.test_report import _form, _post_files
from tests.parents.family import answers

# What a parent reads, per language: the form, the banner, an error, the sent page, the status.
WORDS = {
    "pl": {
        "html": '<html lang="pl" dir="ltr">',
        "heading": "<h1>Zgłoś problem</h1>",
        "labels": ["Czego to dotyczy?", "Co się stało?", "Którego dziecka to dotyczy?"],
        "choice": "Nękanie w internecie (cyberprzemoc)",
        "banner": "Jeśli dziecku grozi bezpośrednie niebezpieczeństwo, zadzwoń teraz pod numer 999.",  # noqa: E501
        "office": "zadzwoń do sekretariatu: ",
        "problem": "Wystąpił problem",
        "missing": "Napisz nam, co się stało.",
        "refused": '"notes.txt": tego pliku nie możemy przyjąć.',
        "thanks": "Dziękujemy, szkoła otrzymała Twoje zgłoszenie",
        "status": "Otrzymane",
        "reported": "Twoje zgłoszenia",
    },
    "ur": {
        "html": '<html lang="ur" dir="rtl">',
        "heading": "<h1>تشویش کی اطلاع دیں</h1>",
        "labels": ["یہ کس بارے میں ہے؟", "کیا ہوا؟", "یہ کس بچے کے بارے میں ہے؟"],
        "choice": "آن لائن دھونس (سائبر بُلیئنگ)",
        "banner": "اگر کسی بچے کو فوری خطرہ ہو تو ابھی 999 پر کال کریں۔",
        "office": "اسکول کے دفتر کو ",
        "problem": "ایک مسئلہ ہے",
        "missing": "براہ کرم ہمیں بتائیں کہ کیا ہوا۔",
        "refused": '"notes.txt": ہم یہ فائل قبول نہیں کر سکتے۔',
        "thanks": "شکریہ، آپ کی اطلاع اسکول کو مل گئی ہے",
        "status": "موصول ہو گئی",
        "reported": "آپ کی بتائی ہوئی تشویشات",
    },
}
ENGLISH = [
    "What is it about?",
    "call 999 now",
    "There is a problem",
    "Please tell us what happened.",
    "Send to the school",
    "Received",
    "Concerns you have reported",
]


@pytest.fixture
def app_config(tmp_path) -> dict:
    return {"UPLOAD_DIR": str(tmp_path / "uploads")}


def _speaks(app, language: str) -> None:
    with app.app_context():
        db.session.scalar(select(Contact).where(Contact.mis_id == "C1")).language = language
        db.session.commit()


def _no_english(page: str) -> None:
    assert [text for text in ENGLISH if text in page] == []


@pytest.mark.parametrize("language", ["pl", "ur"])
def test_the_concern_journey_is_in_the_contacts_language(app, client, language):
    words = WORDS[language]
    token = seed(app)
    _speaks(app, language)
    form = client.get(f"/a/{token}/concern").get_data(as_text=True)
    assert words["html"] in form and words["heading"] in form
    assert all(label in form for label in words["labels"]) and words["choice"] in form
    assert words["banner"] in form
    assert words["office"] in form and "01632 960123" in form  # how to reach the school
    _no_english(form)

    empty = client.post(f"/a/{token}/concern", data=_form(client, token, description=" "))
    page = empty.get_data(as_text=True)
    assert empty.status_code == 422
    assert words["problem"] in page and words["missing"] in page
    _no_english(page)

    data = _form(client, token)
    data["screenshots"] = [(io.BytesIO(b"just some text"), "notes.txt")]
    refused = _post_files(client, f"/a/{token}/concern", data)
    assert refused.status_code == 422 and words["refused"] in html.unescape(refused.text)

    sent = client.post(f"/a/{token}/concern", data=_form(client, token))
    page = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert words["html"] in page and words["thanks"] in page and words["status"] in page
    _no_english(page)

    agreement = client.get(f"/a/{token}").get_data(as_text=True)
    client.post(f"/a/{token}", data=answers(app, agreement))
    receipt = client.get(f"/a/{token}").get_data(as_text=True)
    assert words["reported"] in receipt and words["status"] in receipt
    _no_english(receipt)


def test_switching_language_on_the_agreement_page_switches_the_concern_form(app, client):
    token = seed(app)
    english = client.get(f"/a/{token}/concern").get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in english and "call 999 now" in english
    page = client.get(f"/a/{token}").get_data(as_text=True)
    client.post(f"/a/{token}/language", data={"csrf_token": csrf_token(page), "lang": "ur"})
    urdu = client.get(f"/a/{token}/concern").get_data(as_text=True)
    assert WORDS["ur"]["html"] in urdu and WORDS["ur"]["banner"] in urdu


def test_the_office_reads_concerns_in_english_whatever_the_browser_asks(app, client):
    token = seed(app)
    _speaks(app, "pl")
    client.post(f"/a/{token}/concern", data=_form(client, token))
    from tests.concerns.family import login

    staff = app.test_client()
    login(staff, "dsl")
    page = staff.get("/office/concerns/", headers={"Accept-Language": "pl"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Cyberbullying" in text
    assert "Nękanie" not in text
    missing = staff.get("/office/no-such-page", headers={"Accept-Language": "pl"})
    assert "Page not found" in missing.get_data(as_text=True)
