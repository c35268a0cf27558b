"""When the database goes away: a restart or failover costs no request (the pool checks), a host
that never answers gives a quick 503 with Retry-After in the parent's language (English for
staff), a statement that waits too long is cancelled, and nothing half-written remains.
These run on PostgreSQL (a database of their own), whichever database the suite uses."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from sqlalchemy import create_engine, func, select, text

from parentlink import create_app
from parentlink.campaigns.models import Confirmation, Invitation, InvitationStatus
from parentlink.db import db
from parentlink.schema import upgrade
from tests.builders import family_row, launched
from tests.parents.family import answers, token_for
from tests.system.postgres import fresh_database, terminate_connections

pytestmark = pytest.mark.own_postgres

BUSY = "Coś poszło nie tak"  # "Something went wrong" in Polish


@pytest.fixture(scope="module")
def pg_url():
    with fresh_database("faults") as url:
        yield url


@pytest.fixture
def pg_app(pg_url, tmp_path):
    def make(**config):
        app = create_app(
            {
                "ENV_NAME": "test",
                "SECRET_KEY": "test-secret-key-test-secret-key-0123",
                "SQLALCHEMY_DATABASE_URI": pg_url,
                "SANDBOX_OUTBOX_PATH": str(tmp_path / "outbox.jsonl"),
                "PUBLIC_URL": "http://parentlink.test",
                **config,
            }
        )
        made.append(app)
        return app

    made = []
    app = make()
    with app.app_context():
        upgrade()
        tables = ", ".join(t.name for t in db.metadata.sorted_tables)
        db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.session.commit()
        launched([family_row("P1", "C1", pupil_first_name="Amelia")])
        token = token_for("C1")
    yield make, app, token
    for each in made:
        with each.app_context():
            db.engine.dispose()


def test_after_the_database_drops_every_connection_the_next_request_works(pg_app, pg_url):
    _, app, token = pg_app
    client = app.test_client()
    assert client.get(f"/a/{token}").status_code == 200
    assert client.get(f"/a/{token}").status_code == 200  # the pool holds a connection now
    assert terminate_connections(pg_url) >= 1
    response = client.get(f"/a/{token}")
    assert response.status_code == 200
    assert "Our social media agreement" in response.get_data(as_text=True)


@pytest.fixture
def silent_host():
    """A TCP listener on 127.0.0.1 that accepts connections and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(timeout=2)
    for connection in held:
        connection.close()
    listener.close()


def test_a_database_host_that_never_answers_gives_a_quick_503(pg_app, silent_host):
    make, _, token = pg_app
    app = make(
        SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://postgres@127.0.0.1:{silent_host}/x",
        DB_CONNECT_TIMEOUT=1,
        WTF_CSRF_ENABLED=False,
    )
    client = app.test_client()
    started = time.monotonic()
    parent = client.get(f"/a/{token}", headers={"Accept-Language": "pl"})
    assert time.monotonic() - started < 10  # not gunicorn's 30 s worker timeout
    assert parent.status_code == 503 and parent.headers["Retry-After"] == "30"
    page = parent.get_data(as_text=True)
    assert BUSY in page and 'lang="pl"' in page
    assert "Traceback" not in page and "127.0.0.1" not in page

    staff = client.post(
        "/office/login",
        data={"email": "office@example.com", "password": "x" * 12},
        headers={"Accept-Language": "pl"},
    )
    assert staff.status_code == 503 and staff.headers["Retry-After"] == "30"
    assert "Something went wrong" in staff.get_data(as_text=True)


def test_a_statement_kept_waiting_is_cancelled_and_nothing_half_written(pg_app, pg_url):
    make, _, token = pg_app
    app = make(DB_STATEMENT_TIMEOUT=1)
    client = app.test_client()
    form = answers(app, client.get(f"/a/{token}").get_data(as_text=True))
    blocker = create_engine(pg_url)
    with blocker.connect() as connection:
        connection.execute(text("LOCK TABLE message IN EXCLUSIVE MODE"))  # the receipt waits
        response = client.post(f"/a/{token}", data=form)
        connection.rollback()
    blocker.dispose()
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Confirmation)) == 0
        assert db.session.scalar(select(Invitation.status)) is not InvitationStatus.CONFIRMED
    assert client.post(f"/a/{token}", data=form).status_code == 303  # and then it works
