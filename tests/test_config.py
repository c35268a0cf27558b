"""Settings from PARENTLINK_* environment variables; production refuses unsafe defaults."""

from __future__ import annotations

import os
import re
import secrets

import pytest
from sqlalchemy import func, select

from parentlink import create_app
from parentlink.config import DEV_SECRET_KEY, ConfigError
from parentlink.db import db
from parentlink.schema import upgrade
from parentlink.schools.models import School
from parentlink.schools.services import create_school


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """No PARENTLINK_* setting leaks in from the shell running the tests."""
    for name in list(os.environ):
        if name.startswith("PARENTLINK_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PARENTLINK_DATABASE_URL", f"sqlite:///{tmp_path / 'config.db'}")
    monkeypatch.setenv("PARENTLINK_SANDBOX_OUTBOX", str(tmp_path / "no-such-outbox.jsonl"))


PRODUCTION = {
    "PARENTLINK_ENV": "production",
    "PARENTLINK_SECRET_KEY": secrets.token_urlsafe(48),
    "PARENTLINK_PUBLIC_URL": "https://parentlink.example.com",
    "PARENTLINK_SMS_GATEWAY": "twilio",
    "PARENTLINK_TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "PARENTLINK_TWILIO_AUTH_TOKEN": "0123456789abcdef0123456789abcdef",
    "PARENTLINK_TWILIO_FROM": "CoatesLane",
    "PARENTLINK_EMAIL_GATEWAY": "smtp",
}


@pytest.fixture
def production(monkeypatch):
    """A complete, valid production environment; a test changes one thing."""
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def _production(**config):
    return create_app({"ENV_NAME": "production", **config})


# --- production refuses development defaults --------------------------------------------------


def test_production_refuses_the_development_secret_key():
    with pytest.raises(ConfigError, match="PARENTLINK_SECRET_KEY") as info:
        _production()
    assert "long random value" in str(info.value)


def test_production_refuses_the_development_key_given_by_environment(monkeypatch):
    monkeypatch.setenv("PARENTLINK_ENV", "production")
    monkeypatch.setenv("PARENTLINK_SECRET_KEY", DEV_SECRET_KEY)
    with pytest.raises(ConfigError, match="PARENTLINK_SECRET_KEY"):
        create_app()


@pytest.mark.parametrize("name", ["prod", "Production", "staging"])
def test_any_environment_that_is_not_development_is_treated_as_production(monkeypatch, name):
    monkeypatch.setenv("PARENTLINK_ENV", name)
    with pytest.raises(ConfigError, match="PARENTLINK_SECRET_KEY"):
        create_app()


def test_production_refuses_an_empty_secret_key(monkeypatch):
    monkeypatch.setenv("PARENTLINK_SECRET_KEY", "")
    with pytest.raises(ConfigError, match="PARENTLINK_SECRET_KEY"):
        _production()


def test_production_refuses_a_short_secret_key():
    with pytest.raises(ConfigError, match="PARENTLINK_SECRET_KEY must be at least 32 characters"):
        _production(SECRET_KEY="short-but-not-default")


def test_production_starts_with_a_complete_configuration_and_secure_cookies(production):
    app = create_app()
    assert app.config["ENV_NAME"] == "production"
    response = app.test_client().get("/office/login", base_url="https://parentlink.example.com")
    assert response.status_code == 200
    cookies = response.headers.getlist("Set-Cookie")
    session = [c for c in cookies if c.startswith("session=")]
    assert session and "Secure" in session[0] and "HttpOnly" in session[0]
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("", "PARENTLINK_PUBLIC_URL must be the https:// address"),
        ("http://parentlink.example.com", "PARENTLINK_PUBLIC_URL must be the https:// address"),
        ("https://127.0.0.1:5000", "PARENTLINK_PUBLIC_URL points at this computer (127.0.0.1)"),
        ("https://localhost", "PARENTLINK_PUBLIC_URL points at this computer (localhost)"),
    ],
)
def test_production_refuses_a_public_url_parents_cannot_reach(production, url, says):
    production.setenv("PARENTLINK_PUBLIC_URL", url)
    with pytest.raises(ConfigError, match=re.escape(says)):
        create_app()


@pytest.mark.parametrize("name", ["PARENTLINK_SMS_GATEWAY", "PARENTLINK_EMAIL_GATEWAY"])
def test_production_refuses_a_sandbox_gateway_unless_told_on_purpose(production, name):
    production.setenv(name, "sandbox")
    with pytest.raises(ConfigError) as info:
        create_app()
    assert str(info.value).startswith(f"{name} is 'sandbox': in production no message would")
    assert "PARENTLINK_ALLOW_SANDBOX_IN_PRODUCTION=1" in str(info.value)
    production.setenv("PARENTLINK_ALLOW_SANDBOX_IN_PRODUCTION", "1")
    assert create_app().config[name.removeprefix("PARENTLINK_")] == "sandbox"


def test_production_refuses_cookies_that_are_not_secure(production):
    production.setenv("PARENTLINK_SECURE_COOKIES", "0")
    with pytest.raises(ConfigError, match="PARENTLINK_SECURE_COOKIES is off"):
        create_app()


def test_production_refuses_twilio_without_its_credentials(production):
    production.delenv("PARENTLINK_TWILIO_AUTH_TOKEN")
    with pytest.raises(ConfigError, match="PARENTLINK_TWILIO_AUTH_TOKEN is empty"):
        create_app()


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgres://parentlink@db/parentlink", "must start with postgresql+psycopg://"),
        ("postgresql://parentlink@db/parentlink", "must start with postgresql+psycopg://"),
        ("mysql+nosuchdriver://x@db/y", "is not a database address ParentLink can use"),
        ("not a url", "is not a database address ParentLink can use"),
    ],
)
def test_a_database_url_that_cannot_work_is_one_clear_line(monkeypatch, url, says):
    monkeypatch.setenv("PARENTLINK_DATABASE_URL", url)
    with pytest.raises(ConfigError) as info:
        create_app()
    message = str(info.value)
    assert message.startswith("PARENTLINK_DATABASE_URL") and says in message
    assert "\n" not in message


def test_an_unknown_gateway_is_named_in_production(production):
    production.setenv("PARENTLINK_SMS_GATEWAY", "twillio")
    with pytest.raises(
        ConfigError, match="PARENTLINK_SMS_GATEWAY must be twilio, notify or sandbox"
    ):
        create_app()


def test_the_engine_hides_parameters_and_times_out(monkeypatch):
    monkeypatch.setenv("PARENTLINK_DATABASE_URL", "postgresql+psycopg://parentlink@db/parentlink")
    monkeypatch.setenv("PARENTLINK_DB_STATEMENT_TIMEOUT", "7")
    options = create_app().config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options["hide_parameters"] is True
    assert "pool_pre_ping" not in options  # checked on checkout instead (tests/test_pool_checks)
    assert options["connect_args"]["connect_timeout"] == 5
    assert options["connect_args"]["options"] == "-c statement_timeout=7000"


def test_the_instance_folder_is_where_parentlink_starts_or_where_it_is_told(monkeypatch, tmp_path):
    monkeypatch.delenv("PARENTLINK_DATABASE_URL")
    monkeypatch.chdir(tmp_path)
    app = create_app()
    assert app.instance_path == str(tmp_path / "instance")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/instance/parentlink.db"
    monkeypatch.setenv("PARENTLINK_INSTANCE_DIR", str(tmp_path / "var"))
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/var/parentlink.db"
    assert app.config["UPLOAD_DIR"] == str(tmp_path / "var" / "uploads")


def test_development_runs_with_the_development_key():
    app = create_app()
    assert app.config["ENV_NAME"] == "development"
    assert app.config["SECRET_KEY"] == DEV_SECRET_KEY


# --- PARENTLINK_* environment variables ----------------------------------------------------


def test_settings_are_read_from_parentlink_environment_variables(monkeypatch, tmp_path):
    monkeypatch.setenv("PARENTLINK_TWILIO_API_URL", "http://127.0.0.1:8999/")
    monkeypatch.setenv("PARENTLINK_SMS_GATEWAY", "twilio")
    monkeypatch.setenv("PARENTLINK_SMTP_HOST", "mail.example.com")
    monkeypatch.setenv("PARENTLINK_SMTP_PORT", "2525")
    monkeypatch.setenv("PARENTLINK_SMTP_STARTTLS", "yes")
    monkeypatch.setenv("PARENTLINK_PUBLIC_URL", "https://parentlink.example.com/")
    app = create_app()
    assert app.config["TWILIO_API_URL"] == "http://127.0.0.1:8999"
    assert app.config["SMS_GATEWAY"] == "twilio"
    assert app.config["MAIL_SERVER"] == "mail.example.com"
    assert app.config["MAIL_PORT"] == 2525
    assert app.config["MAIL_USE_TLS"] is True
    assert app.config["PUBLIC_URL"] == "https://parentlink.example.com"


def test_the_database_comes_from_parentlink_database_url(monkeypatch, tmp_path):
    path = tmp_path / "from-env.db"
    monkeypatch.setenv("PARENTLINK_DATABASE_URL", f"sqlite:///{path}")
    app = create_app()
    with app.app_context():
        upgrade()
        create_school(name="Coates Lane Primary School", short_name="Coates Lane", slug="cl")
        db.session.commit()
        db.engine.dispose()
    assert path.is_file()

    again = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with again.app_context():
        assert db.session.scalar(select(func.count()).select_from(School)) == 1
        db.engine.dispose()


@pytest.mark.parametrize("name", ["PARENTLINK_SMTP_PORT", "PARENTLINK_DISPATCH_BATCH_SIZE"])
def test_a_number_setting_that_is_not_a_number_is_named(monkeypatch, name):
    monkeypatch.setenv(name, "twenty-five")
    with pytest.raises(ConfigError) as info:
        create_app()
    assert str(info.value) == f"{name} must be a whole number, not 'twenty-five'"


# --- development pages and errors --------------------------------------------------------


def test_the_sandbox_outbox_is_hidden_in_production(production):
    app = create_app()
    response = app.test_client().get("/dev/outbox")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_the_sandbox_outbox_is_shown_in_development_even_before_any_message():
    app = create_app()
    response = app.test_client().get("/dev/outbox")
    assert response.status_code == 200
    assert "No messages yet" in response.get_data(as_text=True)


def test_an_unhandled_error_shows_the_friendly_page_and_undoes_the_change(app):
    @app.get("/test-only/explode")
    def explode():
        create_school(name="Half Made School", short_name="Half Made", slug="half-made")
        db.session.flush()
        raise RuntimeError("secret detail: token=abc123")

    response = app.test_client().get("/test-only/explode")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong" in page
    for leak in ("Traceback", "RuntimeError", "secret detail", "abc123", "explode"):
        assert leak not in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(School)) == 0


def test_production_with_notify_needs_its_callback_token(production):
    """SMS through GOV.UK Notify, email still through SMTP: no Twilio settings needed, but
    the bearer token for Notify's callbacks is."""
    key = (
        "parentlink_live-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0"
    )
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM"):
        production.delenv(f"PARENTLINK_{name}", raising=False)
    production.setenv("PARENTLINK_SMS_GATEWAY", "notify")
    production.setenv("PARENTLINK_NOTIFY_API_KEY", key)
    production.setenv("PARENTLINK_NOTIFY_SMS_TEMPLATE_ID", "f33517ff-2a88-4f6e-b855-c550268ce08a")
    with pytest.raises(ConfigError, match="PARENTLINK_NOTIFY_CALLBACK_TOKEN must be set"):
        create_app()
    # as an env file may hold it: a space after the value
    production.setenv("PARENTLINK_NOTIFY_CALLBACK_TOKEN", "a-long-random-token-for-notify \n")
    app = create_app()
    assert (app.config["SMS_GATEWAY"], app.config["EMAIL_GATEWAY"]) == ("notify", "smtp")
    for token, status in (("a-long-random-token-for-notify", 400), ("a-long-random", 401)):
        callback = app.test_client().post(
            "/webhooks/notify/status",
            json=[],  # the token is checked first; then this is not a receipt
            headers={"Authorization": f"Bearer {token}"},
            base_url="https://parentlink.example.com",
        )
        assert callback.status_code == status, token
    production.setenv("PARENTLINK_SMS_PER_SECOND", "60")
    with pytest.raises(ConfigError, match="3,000 requests a minute"):
        create_app()
