"""ParentLink: parents and carers confirm a school's social media agreement from a personal link."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from parentlink import config as settings
from parentlink import extensions
from parentlink.core.clock import SystemClock
from parentlink.db import check_connections_on_checkout, init_request_transaction

PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """`templates/` and `migrations/` sit beside the package in a checkout, inside it in a wheel."""
    for candidate in (PACKAGE_DIR / name, PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"ParentLink's {name}/ folder is missing from this installation")


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(resource_dir("templates")),
        static_folder=str(PACKAGE_DIR / "static"),
        instance_path=str(settings.instance_dir()),
        instance_relative_config=True,
    )
    app.config.update(settings.from_environment(app.instance_path))
    if config:
        app.config.update(config)
    settings.check_for_production(app.config)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", settings.engine_options(app.config))
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if app.config["PROXY_FIX_HOPS"]:
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    app.extensions["parentlink.clock"] = app.config.get("CLOCK") or SystemClock()
    extensions.db.init_app(app)
    with app.app_context():
        for engine in extensions.db.engines.values():
            check_connections_on_checkout(engine)
    extensions.mail.init_app(app)
    extensions.csrf.init_app(app)
    # current_user reaches the office's templates only (office/session.py): on a parent's page
    # Flask-Login's app-wide context processor loaded the staff user, and its "strong"
    # session protection re-signed the parent's session and cleared a remember cookie.
    extensions.login_manager.init_app(app, add_context_processor=False)
    init_request_transaction(app)

    from parentlink import models  # noqa: F401 - every table registered
    from parentlink.core import errors, filters, i18n, logs, security, sessions, text
    from parentlink.parents.limits import limiter

    logs.init_logging()
    security.init_app(app)
    sessions.init_app(app)
    text.init_app(app)
    filters.init_app(app)
    errors.init_app(app)
    i18n.init_app(app)
    limiter.init_app(app)

    from parentlink.concerns.office_routes import blueprint as concerns_office
    from parentlink.concerns.routes import blueprint as concerns
    from parentlink.messaging.notify_webhooks import blueprint as notify_webhooks
    from parentlink.messaging.webhooks import blueprint as webhooks
    from parentlink.office.routes import blueprint as office
    from parentlink.parents.routes import blueprint as parents

    app.register_blueprint(parents)
    app.register_blueprint(office)
    app.register_blueprint(webhooks)
    app.register_blueprint(notify_webhooks)
    app.register_blueprint(concerns)
    app.register_blueprint(concerns_office)
    extensions.csrf.exempt(webhooks)  # Twilio signs its requests instead
    extensions.csrf.exempt(notify_webhooks)  # Notify sends a bearer token instead

    if settings.is_development(app.config):
        from parentlink.dev.routes import blueprint as dev

        app.register_blueprint(dev)

    from parentlink.cli import register_commands

    register_commands(app)
    return app
