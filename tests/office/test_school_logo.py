"""The school's logo: an administrator uploads it on the settings page; it is re-encoded to
a PNG of at most 10 KB without metadata, shown on every parent page with the school's name as
its text, served with long caching at a versioned address, carried inside family emails, and
can be removed. Anything that is not a usable picture is refused plainly and changes nothing."""

from __future__ import annotations

import io
import random
from datetime import timedelta

import pytest
from PIL import Image, PngImagePlugin
from sqlalchemy import select
from werkzeug.test import EnvironBuilder

from parentlink.campaigns.services import launch_campaign
from parentlink.core.clock import now
from parentlink.db import db
from parentlink.directory.importer import import_families
from parentlink.directory.models import Contact
from parentlink.schools.models import School
from tests.builders import csrf_token, csv_bytes, family_row, published_policy
from tests.office.test_settings import events, post
from tests.parents.family import token_for

LOGO_LIMIT = 10 * 1024


@pytest.fixture
def app_config(smtp_server) -> dict:
    return smtp_server.app_config()


def crest(size=(900, 300)) -> bytes:
    """A flat two-colour logo as a designer would export it, with an author and software
    text chunk that must not survive."""
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    for x in range(size[0] // 10, size[0] // 3):
        for y in range(size[1] // 6, size[1] - size[1] // 6):
            image.putpixel((x, y), (29, 92, 58, 255))
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Jo Designer, 07700 900555")
    info.add_text("Software", "ExampleDraw 3")
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    return out.getvalue()


def camera_photo(size=(1600, 1000)) -> bytes:
    """A photo of the school sign (noise compresses badly) with EXIF: camera and GPS."""
    rng = random.Random(7)
    image = Image.frombytes(
        "RGB", size, bytes(rng.getrandbits(8) for _ in range(3 * size[0] * size[1]))
    )
    exif = Image.Exif()
    exif[0x010F] = "ExampleCam"  # Make
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPSInfo
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95, exif=exif)
    return out.getvalue()


def upload(client, data: bytes, filename: str):
    """Post the logo form, closing the body the test client spools to a temporary file for
    large uploads (it leaves that to the garbage collector)."""
    token = csrf_token(client.get("/office/settings").get_data(as_text=True))
    fields = {"logo-csrf_token": token, "logo-file": (io.BytesIO(data), filename)}
    builder = EnvironBuilder(path="/office/settings?section=logo", method="POST", data=fields)
    environ = builder.get_environ()
    builder.close()
    try:
        return client.open(environ)
    finally:
        environ["wsgi.input"].close()


def the_logo(app):
    with app.app_context():
        row = db.session.execute(
            select(School.logo, School.logo_sha256, School.logo_width, School.logo_height)
        ).one()
        return row


def test_an_uploaded_logo_is_a_small_png_without_metadata_and_audited(app, admin_client):
    response = upload(admin_client, crest(), "crest.png")
    assert response.status_code == 303
    page = admin_client.get("/office/settings").get_data(as_text=True)
    assert "Logo saved" in page and 'alt="The current logo"' in page
    logo = the_logo(app)
    assert len(logo.logo) <= LOGO_LIMIT
    with Image.open(io.BytesIO(logo.logo)) as kept:
        assert kept.format == "PNG"
        assert kept.size == (logo.logo_width, logo.logo_height) == (480, 160)  # in the box
        assert not {"Author", "Software", "exif", "icc_profile"} & set(kept.info)
    [event] = events(app, "school.logo_set")
    assert event["sha256"] == logo.logo_sha256 and event["bytes"] == len(logo.logo)


def test_a_photo_is_made_smaller_until_it_fits_and_loses_its_exif(app, admin_client):
    assert upload(admin_client, camera_photo(), "IMG_0001.JPG").status_code == 303
    logo = the_logo(app)
    assert len(logo.logo) <= LOGO_LIMIT
    assert logo.logo_width < 480  # noise does not fit 10 KB at full size
    with Image.open(io.BytesIO(logo.logo)) as kept:
        assert kept.format == "PNG" and not kept.getexif() and "exif" not in kept.info
        assert abs(kept.width / kept.height - 1.6) < 0.05  # the shape is kept
    assert b"ExampleCam" not in logo.logo


def _bomb() -> bytes:
    out = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(out, "PNG")  # 400 million pixels in a small file
    return out.getvalue()


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
)


@pytest.mark.parametrize(
    ("data", "filename", "says"),
    [
        (SVG, "logo.svg", "SVG logos cannot be used"),
        (SVG.split(b"?>")[1], "logo.png", "SVG logos cannot be used"),  # an SVG renamed
        (b"%PDF-1.7 not a picture at all", "logo.png", "not a picture we can use"),
        (b"", "logo.png", "The file is empty"),
        (b"\x89PNG" + b"\0" * (2 * 1024 * 1024), "big.png", "larger than 2 MB"),
        (_bomb(), "bomb.png", "too large to use"),
        (crest()[:200], "cut.png", "not a picture we can use"),  # a truncated file
    ],
    ids=["svg", "svg-renamed", "pdf", "empty", "oversized", "bomb", "truncated"],
)
def test_bad_files_are_refused_plainly_and_change_nothing(app, admin_client, data, filename, says):
    assert upload(admin_client, crest(), "crest.png").status_code == 303
    before = the_logo(app)
    response = upload(admin_client, data, filename)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert says in body and "Nothing was changed" in body
    assert the_logo(app) == before
    [refused] = events(app, "school.logo_refused")
    assert says in refused["reason"]


def test_no_file_chosen_is_explained(admin_client):
    response = post(admin_client, "logo", {})
    assert response.status_code == 422
    assert "Choose the logo&#39;s picture file." in response.get_data(as_text=True)


def test_the_logo_is_cached_at_a_versioned_address(app, admin_client, client):
    upload(admin_client, crest(), "crest.png")
    logo = the_logo(app)
    with app.app_context():
        school_id = db.session.scalar(select(School.id))
    url = f"/school-logo/{school_id}/{logo.logo_sha256}.png"
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data == logo.logo
    assert response.headers["ETag"] == f'"{logo.logo_sha256}"'
    cache = response.headers["Cache-Control"]
    assert "max-age=31536000" in cache and "immutable" in cache and "public" in cache
    again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and not again.data
    upload(admin_client, camera_photo((300, 100)), "new.jpg")  # a new logo, a new address
    assert client.get(url).status_code == 404
    assert client.get(f"/school-logo/{school_id}/{'0' * 64}.png").status_code == 404


def launched(rows):
    """The policy, these families and a campaign at the administrator's school."""
    with db.session.no_autoflush:
        the_school = db.session.scalar(select(School))
    version = published_policy(the_school.id)
    import_families(the_school.id, csv_bytes(rows))
    launch_campaign(
        the_school, version, name="Autumn", closes_at=now() + timedelta(days=21), actor="test"
    )
    db.session.commit()


def test_every_parent_page_shows_the_logo_with_the_schools_name(app, admin_client):
    with app.app_context():
        launched([family_row("P1", "C1", pupil_first_name="Amelia")])
        token = token_for("C1")
    upload(admin_client, crest(), "crest.png")
    client = app.test_client()
    logo = the_logo(app)
    img = f'alt="Coates Lane Primary School" width="{logo.logo_width}" height="{logo.logo_height}"'
    pages = {
        "agreement, first open": client.get(f"/a/{token}"),
        "agreement, from the page cache": client.get(f"/a/{token}"),
        "link not working": client.get("/a/AAAAAAAAAAAAAAAAAAAAAA"),
        "new link": client.get("/link/new"),
        "concern": client.get(f"/a/{token}/concern"),
    }
    agreement = pages["agreement, first open"].get_data(as_text=True)
    client.post(
        f"/a/{token}", data={"csrf_token": csrf_token(agreement), "typed_name": "Sarah Example"}
    )
    pages["receipt"] = client.get(f"/a/{token}")
    for name, response in pages.items():
        body = response.get_data(as_text=True)
        assert logo.logo_sha256 in body and img in body, name
    assert "Thank you, your answers are recorded" in pages["receipt"].get_data(as_text=True)


def test_removing_the_logo(app, admin_client):
    with app.app_context():
        launched([family_row("P1", "C1", pupil_first_name="Amelia")])
        token = token_for("C1")
    upload(admin_client, crest(), "crest.png")
    client = app.test_client()
    sha = the_logo(app).logo_sha256
    client.get(f"/a/{token}")
    assert sha in client.get(f"/a/{token}").get_data(as_text=True)  # the cached page
    response = post(admin_client, "logo-remove", {})
    assert response.status_code == 303
    assert the_logo(app) == (None, None, None, None)
    assert '<img class="logo"' not in client.get(f"/a/{token}").get_data(as_text=True)
    assert "No logo" in admin_client.get("/office/settings").get_data(as_text=True)
    assert events(app, "school.logo_removed")[0]["sha256"] == sha


def test_family_emails_carry_the_logo_inside_the_message(app, admin_client, smtp_server):
    upload(admin_client, crest(), "crest.png")
    logo = the_logo(app)
    with app.app_context():
        launched([family_row("P1", "C1", pupil_first_name="Amelia", mobile="",
                             email="sarah@example.com", preferred_channel="email")])  # fmt: skip
        assert db.session.scalar(select(Contact.email)) == "sarah@example.com"
    result = app.test_cli_runner().invoke(args=["dispatch"])
    assert "1 accepted" in result.output, result.output
    [mail] = smtp_server.messages
    html = mail.part("text/html")
    cid = f"school-logo-{logo.logo_sha256[:16]}@parentlink"
    assert f'src="cid:{cid}" alt="Coates Lane Primary School"' in html
    [image] = [p for p in mail.message.walk() if p.get_content_type() == "image/png"]
    assert image["Content-ID"] == f"<{cid}>"
    assert image.get_content() == logo.logo
    related = [p for p in mail.message.walk() if p.get_content_type() == "multipart/related"]
    assert len(related) == 1  # the HTML and its picture, beside the plain text


def test_an_email_written_before_the_logo_was_removed_goes_without_it(
    app, admin_client, smtp_server
):
    upload(admin_client, crest(), "crest.png")
    with app.app_context():
        launched([family_row("P1", "C1", pupil_first_name="Amelia", mobile="",
                             email="sarah@example.com", preferred_channel="email")])  # fmt: skip
    post(admin_client, "logo-remove", {})
    result = app.test_cli_runner().invoke(args=["dispatch"])
    assert "1 accepted" in result.output, result.output
    [mail] = smtp_server.messages
    assert "cid:" not in mail.part("text/html") and "Read and confirm" in mail.part("text/html")
    assert not [p for p in mail.message.walk() if p.get_content_maintype() == "image"]
