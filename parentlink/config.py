"""Settings from PARENTLINK_* environment variables, with safe development defaults."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

DEV_SECRET_KEY = "dev-only-secret-key-change-me"  # noqa: S105 - refused in production


class ConfigError(RuntimeError):
    """The configuration cannot run safely."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from exc


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, not {raw!r}") from exc


def instance_dir() -> Path:
    """Where the SQLite database, uploads and the jobs lock live by default:
    PARENTLINK_INSTANCE_DIR, else `instance/` in the directory ParentLink is started from
    (never inside the installed package or the virtualenv)."""
    return Path(os.environ.get("PARENTLINK_INSTANCE_DIR") or "instance").resolve()


NOTIFY_API_URL = "https://api.notifications.service.gov.uk"
NOTIFY_PER_SECOND = 3000 / 60  # Notify's limit: 3,000 requests a minute per service


def from_environment(instance_path: str) -> dict:
    """Read every setting once. Unknown PARENTLINK_* variables are ignored."""
    env = os.environ.get
    production = env("PARENTLINK_ENV", "development") not in DEVELOPMENT_NAMES
    default_db = "sqlite:///" + str(Path(instance_path) / "parentlink.db")
    return {
        "ENV_NAME": env("PARENTLINK_ENV", "development"),
        "SECRET_KEY": env("PARENTLINK_SECRET_KEY", DEV_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": env("PARENTLINK_DATABASE_URL", default_db),
        "PUBLIC_URL": env("PARENTLINK_PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/"),
        "PROXY_FIX_HOPS": _int("PARENTLINK_PROXY_FIX_HOPS", 0),
        # Messaging: which gateway each channel uses ("twilio", "smtp" or "sandbox").
        "SMS_GATEWAY": env("PARENTLINK_SMS_GATEWAY", "sandbox"),
        "EMAIL_GATEWAY": env("PARENTLINK_EMAIL_GATEWAY", "sandbox"),
        "TWILIO_ACCOUNT_SID": env("PARENTLINK_TWILIO_ACCOUNT_SID", ""),
        "TWILIO_AUTH_TOKEN": env("PARENTLINK_TWILIO_AUTH_TOKEN", ""),
        "TWILIO_FROM": env("PARENTLINK_TWILIO_FROM", ""),
        "TWILIO_API_URL": env("PARENTLINK_TWILIO_API_URL", "https://api.twilio.com").rstrip("/"),
        # GOV.UK Notify (PARENTLINK_SMS_GATEWAY / PARENTLINK_EMAIL_GATEWAY = notify).
        "NOTIFY_API_KEY": env("PARENTLINK_NOTIFY_API_KEY", "").strip(),
        "NOTIFY_SMS_TEMPLATE_ID": env("PARENTLINK_NOTIFY_SMS_TEMPLATE_ID", "").strip(),
        "NOTIFY_EMAIL_TEMPLATE_ID": env("PARENTLINK_NOTIFY_EMAIL_TEMPLATE_ID", "").strip(),
        "NOTIFY_SMS_SENDER_ID": env("PARENTLINK_NOTIFY_SMS_SENDER_ID", "").strip(),
        "NOTIFY_EMAIL_REPLY_TO_ID": env("PARENTLINK_NOTIFY_EMAIL_REPLY_TO_ID", "").strip(),
        "NOTIFY_API_URL": env("PARENTLINK_NOTIFY_API_URL", NOTIFY_API_URL).rstrip("/"),
        "NOTIFY_CALLBACK_TOKEN": env("PARENTLINK_NOTIFY_CALLBACK_TOKEN", "").strip(),
        "MAIL_SERVER": env("PARENTLINK_SMTP_HOST", "localhost"),
        "MAIL_PORT": _int("PARENTLINK_SMTP_PORT", 25),
        "MAIL_USERNAME": env("PARENTLINK_SMTP_USERNAME") or None,
        "MAIL_PASSWORD": env("PARENTLINK_SMTP_PASSWORD") or None,
        "MAIL_USE_TLS": _bool(env("PARENTLINK_SMTP_STARTTLS")),
        "MAIL_USE_SSL": _bool(env("PARENTLINK_SMTP_SSL")),
        "MAIL_DEFAULT_SENDER": env("PARENTLINK_MAIL_FROM", "ParentLink <noreply@example.com>"),
        # Whether email really goes out is PARENTLINK_EMAIL_GATEWAY's choice (smtp or
        # sandbox), never Flask-Mail's silent suppression in testing mode.
        "MAIL_SUPPRESS_SEND": False,
        # Bounces: emails leave with a VERP return path on this address's domain
        # (bounces+<message>-<signature>@domain); the mail server delivers those to the
        # Maildir, which the `bounces` job reads (off unless set).
        "BOUNCE_ADDRESS": env("PARENTLINK_BOUNCE_ADDRESS", ""),
        "BOUNCE_MAILDIR": env("PARENTLINK_BOUNCE_MAILDIR", ""),
        "SANDBOX_OUTBOX_PATH": env(
            "PARENTLINK_SANDBOX_OUTBOX", str(Path(instance_path) / "sandbox-outbox.jsonl")
        ),
        "DISPATCH_BATCH_SIZE": _int("PARENTLINK_DISPATCH_BATCH_SIZE", 200),
        "DISPATCH_LEASE_SECONDS": _int("PARENTLINK_DISPATCH_LEASE_SECONDS", 300),
        "DISPATCH_THREADS": _int("PARENTLINK_DISPATCH_THREADS", 8),
        "DISPATCH_MAX_ATTEMPTS": _int("PARENTLINK_DISPATCH_MAX_ATTEMPTS", 8),
        "DISPATCH_BACKOFF_BASE_SECONDS": _float("PARENTLINK_DISPATCH_BACKOFF_BASE_SECONDS", 30),
        "DISPATCH_BACKOFF_CAP_SECONDS": _float("PARENTLINK_DISPATCH_BACKOFF_CAP_SECONDS", 3600),
        # Messages per second per channel, for all dispatcher processes together (0: no limit).
        "SMS_PER_SECOND": _float("PARENTLINK_SMS_PER_SECOND", 10),
        "EMAIL_PER_SECOND": _float("PARENTLINK_EMAIL_PER_SECOND", 20),
        "SMS_PRICE_PER_SEGMENT": _float("PARENTLINK_SMS_PRICE_PER_SEGMENT", 0.04),
        "SMS_PRICE_CURRENCY": env("PARENTLINK_SMS_PRICE_CURRENCY", "GBP"),
        "ALLOW_INTERNATIONAL_MOBILES": _bool(env("PARENTLINK_ALLOW_INTERNATIONAL_MOBILES")),
        "LINK_GRACE_DAYS": _int("PARENTLINK_LINK_GRACE_DAYS", 14),
        # Retention (days): message text; a leaver's carers' details after their last child
        # left; confirmations, the evidence (six years, as for other school records).
        "RETAIN_MESSAGE_BODIES_DAYS": _int("PARENTLINK_RETAIN_MESSAGE_BODIES_DAYS", 90),
        "RETAIN_LEAVER_CONTACTS_DAYS": _int("PARENTLINK_RETAIN_LEAVER_CONTACTS_DAYS", 365),
        "RETAIN_CONFIRMATIONS_DAYS": _int("PARENTLINK_RETAIN_CONFIRMATIONS_DAYS", 6 * 365),
        # An MIS file uploaded but never imported (hours).
        "RETAIN_ABANDONED_UPLOADS_HOURS": _int("PARENTLINK_RETAIN_ABANDONED_UPLOADS_HOURS", 24),
        "JOBS_INTERVALS": env("PARENTLINK_JOBS_INTERVALS", ""),
        # PostgreSQL: the jobs leader's lease (seconds); a standby takes over within about
        # this long plus a sixth of it after the leader dies, freezes or loses the database.
        "JOBS_LEASE_SECONDS": _int("PARENTLINK_JOBS_LEASE_SECONDS", 30),
        "JOBS_LOCK_PATH": env("PARENTLINK_JOBS_LOCK", str(Path(instance_path) / "jobs.lock")),
        # Staff sessions end this long after sign-in, however active (besides 30 idle minutes).
        "STAFF_SESSION_HOURS": _int("PARENTLINK_STAFF_SESSION_HOURS", 12),
        # Reports of concerns one carer can send from their links (then: phone the school).
        "CONCERNS_PER_HOUR": _int("PARENTLINK_CONCERNS_PER_HOUR", 3),
        "CONCERNS_PER_DAY": _int("PARENTLINK_CONCERNS_PER_DAY", 6),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Secure cookies are the default in production, and refused off there.
        "SESSION_COOKIE_SECURE": _bool(env("PARENTLINK_SECURE_COOKIES"), default=production),
        "REMEMBER_COOKIE_SECURE": _bool(env("PARENTLINK_SECURE_COOKIES"), default=production),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 10 * 1024 * 1024,
        # Per-IP limits on "send me a new link" (Flask-Limiter): memory:// counts per process.
        "RATELIMIT_STORAGE_URI": env("PARENTLINK_RATELIMIT_STORAGE", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": False,
        # Concern screenshots: kept outside the web root, never served publicly.
        "UPLOAD_DIR": env("PARENTLINK_UPLOAD_DIR", str(Path(instance_path) / "uploads")),
        # Database faults: give up connecting after this many seconds, cancel a statement
        # after this many (PostgreSQL), so a database that stops answering gives a quick
        # "try again shortly" page instead of hanging every worker.
        "DB_CONNECT_TIMEOUT": _int("PARENTLINK_DB_CONNECT_TIMEOUT", 5),
        "DB_STATEMENT_TIMEOUT": _int("PARENTLINK_DB_STATEMENT_TIMEOUT", 20),
        "ALLOW_SANDBOX_IN_PRODUCTION": _bool(env("PARENTLINK_ALLOW_SANDBOX_IN_PRODUCTION")),
    }


def check_database_url(url: str) -> None:
    """A database address SQLAlchemy can use, or one line that says how to write it."""
    example = "e.g. postgresql+psycopg://parentlink@db.example.com/parentlink"
    if url.startswith(("postgres://", "postgresql://")):
        raise ConfigError(
            "PARENTLINK_DATABASE_URL must start with postgresql+psycopg:// "
            f"(ParentLink talks to PostgreSQL through psycopg 3), {example}"
        )
    try:
        make_url(url).get_dialect()
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise ConfigError(
            f"PARENTLINK_DATABASE_URL is not a database address ParentLink can use ({exc}); "
            f"{example}, or sqlite:////var/lib/parentlink/parentlink.db"
        ) from None


def engine_options(config: dict) -> dict:
    """Never print bound parameters (a concern's text, a typed name) in errors or logs, and
    time out. Pooled connections are checked before use by `db.check_connections_on_checkout`
    (a restarted database costs no request), not by `pool_pre_ping`'s round trip each time."""
    connect = config["DB_CONNECT_TIMEOUT"]
    options = {"hide_parameters": True, "pool_timeout": connect * 2}
    if config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        options["connect_args"] = {
            "connect_timeout": connect,
            # a host that stops answering mid-query: the kernel gives up on unacknowledged data
            "tcp_user_timeout": connect * 1000,
            "options": f"-c statement_timeout={config['DB_STATEMENT_TIMEOUT'] * 1000}",
        }
    return options


LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}  # noqa: S104 - refused, not bound


def check_for_production(config: dict) -> None:
    """Refuse to run a production deployment with development defaults. Any environment
    name that is not a development one counts as production (a typo must not be unsafe).
    Each refusal is one line that names the variable and the fix."""
    check_database_url(config["SQLALCHEMY_DATABASE_URI"])
    check_notify(config)
    if is_development(config):
        return
    for name, allowed in (
        ("SMS_GATEWAY", ("twilio", "notify", "sandbox")),
        ("EMAIL_GATEWAY", ("smtp", "notify", "sandbox")),
    ):
        if config.get(name) not in allowed:
            raise ConfigError(
                f"PARENTLINK_{name} must be {', '.join(allowed[:-1])} or {allowed[-1]}, "
                f"not {config.get(name)!r}."
            )
    if not config.get("SECRET_KEY") or config["SECRET_KEY"] == DEV_SECRET_KEY:
        raise ConfigError(
            "PARENTLINK_SECRET_KEY must be set to a long random value in production "
            "(python -c 'import secrets; print(secrets.token_urlsafe(48))')."
        )
    if len(config["SECRET_KEY"]) < 32:
        raise ConfigError(
            "PARENTLINK_SECRET_KEY must be at least 32 characters in production "
            "(python -c 'import secrets; print(secrets.token_urlsafe(48))')."
        )
    public = urlsplit(config.get("PUBLIC_URL") or "")
    host = (public.hostname or "").lower()
    if public.scheme != "https" or not host:
        raise ConfigError(
            "PARENTLINK_PUBLIC_URL must be the https:// address parents and Twilio reach "
            f"(e.g. https://parentlink.example.com), not {config.get('PUBLIC_URL')!r}."
        )
    if host in LOCAL_HOSTS or host.endswith(".localhost"):
        raise ConfigError(
            f"PARENTLINK_PUBLIC_URL points at this computer ({host}): parents' links would not "
            "reach it. Set the public https:// address, e.g. https://parentlink.example.com."
        )
    if not (config.get("SESSION_COOKIE_SECURE") and config.get("REMEMBER_COOKIE_SECURE")):
        raise ConfigError(
            "PARENTLINK_SECURE_COOKIES is off: in production cookies must be Secure "
            "(sent over HTTPS only). Remove PARENTLINK_SECURE_COOKIES or set it to 1."
        )
    if config.get("SMS_GATEWAY") == "twilio":
        for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM"):
            if not config.get(name):
                raise ConfigError(
                    f"PARENTLINK_{name} is empty: the Twilio gateway needs it "
                    "(from the Twilio console), or set PARENTLINK_SMS_GATEWAY otherwise."
                )
    notify = "notify" in (config.get("SMS_GATEWAY"), config.get("EMAIL_GATEWAY"))
    if notify and len(config.get("NOTIFY_CALLBACK_TOKEN") or "") < 10:
        raise ConfigError(
            "PARENTLINK_NOTIFY_CALLBACK_TOKEN must be set (10 characters or more): the "
            "same bearer token you enter for the callbacks in Notify's 'API integration' "
            "page, so delivery receipts and replies reach ParentLink."
        )
    if not config.get("ALLOW_SANDBOX_IN_PRODUCTION"):
        for name, real in (("SMS_GATEWAY", "twilio"), ("EMAIL_GATEWAY", "smtp")):
            if config.get(name) == "sandbox":
                raise ConfigError(
                    f"PARENTLINK_{name} is 'sandbox': in production no message would leave. "
                    f"Set PARENTLINK_{name}={real} (and its settings), or "
                    "PARENTLINK_ALLOW_SANDBOX_IN_PRODUCTION=1 to keep the sandbox on purpose."
                )


DEVELOPMENT_NAMES = frozenset({"development", "demo", "test"})


def is_development(config: dict) -> bool:
    return config.get("ENV_NAME") in DEVELOPMENT_NAMES


def check_notify(config: dict) -> None:
    """When a channel goes through GOV.UK Notify, its settings must be usable: one clear
    line per mistake, naming the variable and where to find the value."""
    channels = [
        channel
        for channel, name in (("sms", "SMS_GATEWAY"), ("email", "EMAIL_GATEWAY"))
        if config.get(name) == "notify"
    ]
    if not channels:
        return
    from parentlink.messaging.gateways.notify import parse_api_key

    key = config.get("NOTIFY_API_KEY") or ""
    if not key:
        raise ConfigError(
            "PARENTLINK_NOTIFY_API_KEY is empty: the Notify gateway needs an API key (Notify: "
            "'API integration' > 'API keys' > 'Create an API key', type 'Live')."
        )
    try:
        parse_api_key(key)
    except ValueError as exc:
        raise ConfigError(f"PARENTLINK_NOTIFY_API_KEY {exc}.") from None
    names = [f"NOTIFY_{channel.upper()}_TEMPLATE_ID" for channel in channels]
    for name in names:
        if not config.get(name):
            raise ConfigError(
                f"PARENTLINK_{name} is empty: create the template in Notify (its content only "
                "the placeholders ParentLink fills) and copy its ID from the template's page."
            )
    for name in [*names, "NOTIFY_SMS_SENDER_ID", "NOTIFY_EMAIL_REPLY_TO_ID"]:
        value = config.get(name)
        if value and not _is_uuid(value):
            raise ConfigError(
                f"PARENTLINK_{name} must be an ID as Notify shows it "
                f"(like 8e222534-7f05-4972-86e3-17c5d9f894e2), not {value!r}."
            )
    url = urlsplit(config.get("NOTIFY_API_URL") or "")
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ConfigError(
            f"PARENTLINK_NOTIFY_API_URL must be an http(s) address, not "
            f"{config.get('NOTIFY_API_URL')!r} (leave it unset for GOV.UK Notify itself)."
        )
    if (config.get("NOTIFY_API_URL") or "").rstrip("/") == NOTIFY_API_URL:
        rates = {"sms": config.get("SMS_PER_SECOND"), "email": config.get("EMAIL_PER_SECOND")}
        shared = [float(rates[channel] or 0) for channel in channels]
        if any(rate <= 0 for rate in shared) or sum(shared) > NOTIFY_PER_SECOND:
            raise ConfigError(
                "GOV.UK Notify takes at most 3,000 requests a minute per service: "
                "PARENTLINK_SMS_PER_SECOND and PARENTLINK_EMAIL_PER_SECOND (for the channels "
                "Notify sends) must each be above 0 and add up to 50 or less."
            )


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
