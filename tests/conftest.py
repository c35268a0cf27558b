"""Fixtures with real parts: the app on SQLite (or PostgreSQL when
PARENTLINK_TEST_DATABASE_URL is set), a real SMTP server, a Twilio-compatible HTTP server,
a live app server, and Chromium through Playwright."""

from __future__ import annotations

import os
import shutil
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, make_url, text
from werkzeug.serving import make_server

from parentlink import create_app
from parentlink.core.clock import FrozenClock
from parentlink.db import db
from tests.fakes.notify_api import NotifyCompatibleServer
from tests.fakes.smtp import CapturingSMTPServer
from tests.fakes.twilio_api import TwilioCompatibleServer

PG_URL = os.environ.get("PARENTLINK_TEST_DATABASE_URL")
TEST_AUTH_TOKEN = "test-auth-token-0123456789abcdef"  # noqa: S105


def _worker_database(url: str) -> str:
    """Under pytest-xdist each worker gets a database of its own beside the given one
    (test -> test_gw0, test_gw1 …), created on first use."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    base = make_url(url)
    name = f"{base.database}_{worker}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        found = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if not found:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """A migrated, empty database for the whole run."""
    if PG_URL:
        url = _worker_database(PG_URL)
        _reset_postgres(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    app = create_app({"ENV_NAME": "test", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        from parentlink.schema import upgrade

        upgrade()
        db.engine.dispose()
    return url


def _empty_all_tables() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        for name in tables:
            db.session.execute(text(f"DELETE FROM {name}"))  # noqa: S608 - our own table names
    db.session.commit()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 9, 14, 9, 0, tzinfo=UTC))  # a Monday in term time


@pytest.fixture
def app_config() -> dict:
    """Extra settings for the app; a test module overrides this fixture to add its own."""
    return {}


@pytest.fixture
def app(database_url, tmp_path, clock, app_config):
    app = create_app(
        {
            "ENV_NAME": "test",
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-test-secret-key-0123",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "CLOCK": clock,
            "PUBLIC_URL": "http://parentlink.test",
            "SANDBOX_OUTBOX_PATH": str(tmp_path / "outbox.jsonl"),
            "JOBS_LOCK_PATH": str(tmp_path / "jobs.lock"),
            "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN,
            **app_config,
        }
    )
    with app.app_context():
        _empty_all_tables()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def ctx(app):
    """An app context for tests that call the domain code directly."""
    with app.app_context():
        yield
        db.session.rollback()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def smtp_server():
    with CapturingSMTPServer() as server:
        yield server


@pytest.fixture
def twilio_server():
    with TwilioCompatibleServer(auth_token=TEST_AUTH_TOKEN) as server:
        yield server


@pytest.fixture
def notify_server():
    with NotifyCompatibleServer() as server:
        yield server


@pytest.fixture
def live_app(app):
    """The app served over real HTTP on a free port; PUBLIC_URL points at it."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["PUBLIC_URL"] = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app
    server.shutdown()
    thread.join(timeout=5)


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser):
    """A browser page the size of a small phone."""
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        device_scale_factor=1,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    yield page
    context.close()
