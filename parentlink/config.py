"""Settings from PARENTLINK_* environment variables, with safe development defaults."""

from __future__ import annotations

import os
from pathlib import Path

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


def from_environment(instance_path: str) -> dict:
    """Read every setting once. Unknown PARENTLINK_* variables are ignored."""
    env = os.environ.get
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
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(env("PARENTLINK_SECURE_COOKIES")),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 10 * 1024 * 1024,
        # Per-IP limits on "send me a new link" (Flask-Limiter): memory:// counts per process.
        "RATELIMIT_STORAGE_URI": env("PARENTLINK_RATELIMIT_STORAGE", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": False,
        # Concern screenshots: kept outside the web root, never served publicly.
        "UPLOAD_DIR": env("PARENTLINK_UPLOAD_DIR", str(Path(instance_path) / "uploads")),
    }


def check_for_production(config: dict) -> None:
    """Refuse to run a production deployment with development defaults. Any environment
    name that is not a development one counts as production (a typo must not be unsafe)."""
    if is_development(config):
        return
    if not config.get("SECRET_KEY") or config["SECRET_KEY"] == DEV_SECRET_KEY:
        raise ConfigError(
            "PARENTLINK_SECRET_KEY must be set to a long random value in production "
            "(python -c 'import secrets; print(secrets.token_urlsafe(48))')."
        )
    if len(config["SECRET_KEY"]) < 32:
        raise ConfigError("PARENTLINK_SECRET_KEY must be at least 32 characters in production.")


def is_development(config: dict) -> bool:
    return config.get("ENV_NAME") in {"development", "demo", "test"}
