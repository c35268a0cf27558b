"""A parent reports a concern from their personal link; bad uploads change nothing."""

from __future__ import annotations

import io
import re
import zlib
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select
from werkzeug.test import EnvironBuilder

from parentlink.concerns.models import Concern, ConcernAttachment, ConcernEntry, ConcernStatus
from parentlink.db import db
from parentlink.messaging.models import Message, MessageKind
from tests.builders import csrf_token
from tests.concerns.family import jpeg_with_gps, picture, seed


@pytest.fixture
def app_config(tmp_path) -> dict:
    return {"UPLOAD_DIR": str(tmp_path / "uploads")}


def _form(client, token: str, **overrides):
    page = client.get(f"/a/{token}/concern").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(page),
        "category": "cyberbullying",
        "description": "Someone in a group chat keeps posting mean things about Amelia.",
        "platform": "WhatsApp",
        "happened_on": "2026-09-12",
        "pupil": _pupil_value(page, "Amelia"),
    }
    data.update(overrides)
    return data


def _pupil_value(page: str, name: str) -> str:
    match = re.search(
        r'name="pupil" (?:required )?type="radio" value="(\d+)"> <label for="pupil-\d+">' + name,
        page,
    )
    assert match, "no radio for " + name
    return match.group(1)


def _post_files(client, url: str, data: dict):
    """Post a multipart form, closing the request body the test client spools to a
    temporary file for large uploads (it leaves that to the garbage collector)."""
    builder = EnvironBuilder(path=url, method="POST", data=data)
    environ = builder.get_environ()
    builder.close()
    try:
        return client.open(environ)
    finally:
        environ["wsgi.input"].close()


def _stored_files(app) -> list[Path]:
    root = Path(app.config["UPLOAD_DIR"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _counts(app):
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(Concern)),
            db.session.scalar(select(func.count()).select_from(ConcernAttachment)),
            db.session.scalar(select(func.count()).where(Message.kind == MessageKind.CONCERN_ACK)),
        )


def test_the_form_shows_the_safety_banner_the_family_children_and_no_other(app, client):
    token = seed(app)
    response = client.get(f"/a/{token}/concern")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "If a child is in immediate danger, call 999 now." in page
    assert "01632 960123" in page  # how to reach the school
    assert "Amelia" in page and "Oscar" in page
    assert "Ruby" not in page  # another family's child
    assert 'enctype="multipart/form-data"' in page
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


def test_an_unknown_link_gets_the_link_not_working_page(app, client):
    seed(app)
    response = client.get("/a/AAAAAAAAAAAAAAAAAAAAAA/concern")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "This link is not working" in page
    assert "Coates Lane Primary School" in page  # the deployment serves one school


def test_a_report_with_a_screenshot_is_stored_acknowledged_and_stripped(app, client):
    token = seed(app)
    data = _form(client, token)
    data["screenshots"] = [(io.BytesIO(jpeg_with_gps()), "IMG_0001.jpg")]
    response = _post_files(client, f"/a/{token}/concern", data)
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Thank you, the school has your report" in page
    with app.app_context():
        concern = db.session.scalar(select(Concern))
        assert concern.reference in page
        assert concern.reference.startswith("C-") and len(concern.reference) == 8
        assert concern.status is ConcernStatus.NEW and concern.alerted_at is None
        assert concern.pupil.first_name == "Amelia"
        assert concern.platform == "WhatsApp"
        assert concern.happened_on.isoformat() == "2026-09-12"
        [entry] = db.session.scalars(select(ConcernEntry)).all()
        assert entry.kind.value == "reported"
        [attachment] = concern.attachments
        ack = db.session.scalar(select(Message).where(Message.kind == MessageKind.CONCERN_ACK))
        assert concern.reference in ack.body
        assert len(ack.body) <= 160 and ack.body.isascii()  # one SMS segment
        assert "WhatsApp" not in ack.body and "mean" not in ack.body and "Amelia" not in ack.body
    [stored] = _stored_files(app)
    assert stored.name == Path(attachment.stored_name).name
    assert "IMG_0001" not in str(stored)
    data = stored.read_bytes()
    assert b"SpyCamMaker" not in data
    with Image.open(stored) as image:
        assert image.format == "JPEG"
        assert len(image.getexif()) == 0
    # never served publicly: no static path knows it
    assert client.get(f"/static/{attachment.stored_name}").status_code == 404


def test_the_parent_sees_the_status_but_never_staff_notes(app, client):
    token = seed(app)
    client.post(f"/a/{token}/concern", data=_form(client, token))
    with app.app_context():
        from parentlink.concerns import services
        from parentlink.office.models import StaffUser

        concern = db.session.scalar(select(Concern))
        dsl = db.session.scalar(select(StaffUser).where(StaffUser.email == "dsl@example.com"))
        services.acknowledge(concern, dsl)
        services.add_entry(concern, dsl, "Spoke to the class teacher: SECRET-NOTE")
        db.session.commit()
        reference = concern.reference
    page = client.get(f"/a/{token}/concern/{reference}").get_data(as_text=True)
    assert "Being looked at" in page
    assert "SECRET-NOTE" not in page
    assert "SECRET-NOTE" not in client.get(f"/a/{token}/concern").get_data(as_text=True)


def test_another_family_cannot_open_a_report_by_its_reference(app, client):
    token = seed(app)
    client.post(f"/a/{token}/concern", data=_form(client, token))
    with app.app_context():
        from tests.concerns.family import token_of

        reference = db.session.scalar(select(Concern.reference))
        other = token_of("C2")
    assert client.get(f"/a/{other}/concern/{reference}").status_code == 404


def _bomb() -> bytes:
    """A tiny PNG that claims 30,000 x 30,000 pixels (Pillow refuses it on opening)."""
    out = io.BytesIO()
    Image.new("1", (30000, 30000)).save(out, "PNG")
    return out.getvalue()


def _big_noise_png() -> bytes:
    import os

    out = io.BytesIO()
    Image.frombytes("RGB", (1400, 1400), os.urandom(1400 * 1400 * 3)).save(out, "PNG")
    return out.getvalue()


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
EXE = b"MZ\x90\x00" + b"\x00" * 200 + b"This program cannot be run in DOS mode"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("holiday.png", EXE, "is not a picture we can accept"),
        ("drawing.svg", SVG, "is not a picture we can accept"),
        ("huge.png", None, "each screenshot can be up to 5 MB"),
        ("bomb.png", "bomb", "is too big a picture to accept"),
        ("broken.jpg", picture("JPEG")[:200], "is not a picture we can accept"),
    ],
)
def test_a_bad_upload_is_refused_clearly_and_nothing_is_stored(app, client, name, content, message):
    token = seed(app)
    if content is None:
        content = _big_noise_png()
        assert len(content) > 5 * 1024 * 1024
    elif content == "bomb":
        content = _bomb()
    data = _form(client, token)
    data["screenshots"] = [(io.BytesIO(picture()), "good.png"), (io.BytesIO(content), name)]
    response = _post_files(client, f"/a/{token}/concern", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert "Someone in a group chat" in page  # what they typed is kept on the page
    assert _counts(app) == (0, 0, 0)
    assert _stored_files(app) == []


def test_a_bomb_just_over_pillows_warning_limit_is_refused_too(app, client, monkeypatch):
    token = seed(app)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # warn above, refuse above twice
    data = _form(client, token)
    data["screenshots"] = [(io.BytesIO(picture(size=(40, 40))), "shot.png")]  # 1,600 pixels
    response = _post_files(client, f"/a/{token}/concern", data)
    assert response.status_code == 422
    assert "is too big a picture to accept" in response.get_data(as_text=True)
    assert _counts(app) == (0, 0, 0)


def test_more_than_the_request_limit_is_refused_with_the_form_again(app, client):
    token = seed(app)
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    data = _form(client, token)
    data["screenshots"] = [(io.BytesIO(b"x" * 100 * 1024), "a.png")]
    response = _post_files(client, f"/a/{token}/concern", data)
    assert response.status_code == 413
    assert "too large together" in response.get_data(as_text=True)
    assert _counts(app) == (0, 0, 0)


def test_missing_answers_get_clear_messages_and_change_nothing(app, client):
    token = seed(app)
    data = _form(client, token, description="  ", happened_on="2027-01-01")
    del data["category"]
    response = client.post(f"/a/{token}/concern", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Please choose what it is about." in page
    assert "Please tell us what happened." in page
    assert "The date cannot be in the future." in page
    assert _counts(app) == (0, 0, 0)


def test_a_child_from_another_family_is_refused(app, client):
    token = seed(app)
    with app.app_context():
        from parentlink.directory.models import Pupil

        ruby = db.session.scalar(select(Pupil.id).where(Pupil.first_name == "Ruby"))
    response = client.post(f"/a/{token}/concern", data=_form(client, token, pupil=str(ruby)))
    assert response.status_code == 422
    assert _counts(app) == (0, 0, 0)


def test_without_the_csrf_token_nothing_is_stored(app, client):
    token = seed(app)
    data = _form(client, token)
    del data["csrf_token"]
    assert client.post(f"/a/{token}/concern", data=data).status_code == 400
    assert _counts(app) == (0, 0, 0)


def test_zlib_is_what_makes_the_bomb_small():
    assert len(_bomb()) < 200_000 and zlib  # the refusal above is of a small file


def test_sending_the_same_report_twice_keeps_one_concern(app, client):
    token = seed(app)
    data = _form(client, token)
    first = client.post(f"/a/{token}/concern", data=data)
    second = client.post(f"/a/{token}/concern", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert _counts(app) == (1, 0, 1)


def test_a_report_that_is_rolled_back_leaves_no_screenshot_on_disk(app):
    """The files are written before the commit; if the transaction then fails, they go too,
    so the folder never holds a picture that no concern accounts for."""
    from parentlink.concerns.models import ConcernCategory
    from parentlink.concerns.services import Report, report_concern
    from parentlink.concerns.uploads import clean_image
    from parentlink.db import transaction
    from parentlink.directory.models import Contact

    seed(app)
    report = Report(ConcernCategory.CYBERBULLYING, "Mean posts in a group chat.", None, None, None)
    with app.app_context():
        contact = db.session.scalar(select(Contact).where(Contact.mis_id == "C1"))
        shot = clean_image(io.BytesIO(picture()), "shot.png")
        with pytest.raises(RuntimeError), transaction():
            report_concern(contact, report, [shot])
            assert len(_stored_files(app)) == 1  # written, not yet committed
            raise RuntimeError("the commit never happens")
        assert _stored_files(app) == []
        assert _counts(app)[:2] == (0, 0)

        with transaction():
            report_concern(contact, report, [shot])
    kept = _stored_files(app)
    assert len(kept) == 1 and kept[0].read_bytes() == shot.data
    assert _counts(app)[:2] == (1, 1)
