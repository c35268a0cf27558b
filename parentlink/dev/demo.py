"""`parentlink demo`: a seeded Coates Lane on SQLite, the sandbox gateway, jobs in a thread."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import click

DEMO_LOGIN = "office@example.com"
DEMO_ADMIN = "admin@example.com"  # sets up two-factor at its first sign-in


def build_demo(app, *, password: str) -> dict:
    """Seed a fresh demo database through the same use cases the real commands run."""
    from parentlink.agreements.services import COATES_LANE_POLICY, load_version, publish
    from parentlink.agreements.translations import load_seed_translations
    from parentlink.campaigns.services import launch_campaign
    from parentlink.core.clock import now
    from parentlink.db import transaction
    from parentlink.dev.families import demo_families_csv
    from parentlink.directory.importer import import_families
    from parentlink.office.services import create_staff
    from parentlink.schema import upgrade
    from parentlink.schools.services import create_school, set_sending_window
    from parentlink.schools.terms import seed_standard_english_year

    with app.app_context():
        upgrade()
        with transaction():
            school = create_school(
                name="Coates Lane Primary School",
                short_name="Coates Lane Primary",
                slug="coates-lane",
                office_phone="01632 960123",
                office_email="office@example.com",
            )
            today = now().date()
            seed_standard_english_year(
                school.id, today.year if today.month >= 8 else today.year - 1
            )
            # The demo's sandbox sends at any hour, so the demo works in the evening too.
            set_sending_window(school, time(0, 0), time(0, 0), actor="demo")
            version = publish(
                load_version(school.id, COATES_LANE_POLICY, actor="demo"), actor="demo"
            )
            load_seed_translations(school.id, actor="demo")
            families = import_families(school.id, demo_families_csv())
            create_staff(
                school.id,
                email=DEMO_LOGIN,
                name="Office (demo)",
                role="office",
                password=password,
                actor="demo",
            )
            create_staff(  # settings, staff and the audit log; two-factor at first sign-in
                school.id,
                email=DEMO_ADMIN,
                name="Head teacher (demo)",
                role="admin",
                password=password,
                actor="demo",
            )
            local_close = datetime.combine(
                (now() + timedelta(days=21)).date(), time(23, 59), ZoneInfo(school.timezone)
            )
            launched = launch_campaign(
                school,
                version,
                name="Autumn 2026: social media agreement",
                closes_at=local_close.astimezone(UTC),
                actor="demo",
            )
        return {
            "pupils": families.pupils_added,
            "contacts": families.contacts_added,
            "invitations": launched.invitations,
        }


@click.command(
    "demo",
    help="Run a demo: seeded Coates Lane on SQLite, sandbox messages, "
    "jobs in a thread. Starts from a fresh demo database each time.",
)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--host", default="127.0.0.1", show_default=True)
def demo_command(port: int, host: str) -> None:
    from werkzeug.serving import run_simple

    from jobs.scheduler import start_in_thread
    from parentlink import create_app

    instance = Path.cwd() / "instance"
    instance.mkdir(exist_ok=True)
    for stale in ("demo.db", "demo.db-wal", "demo.db-shm", "demo-outbox.jsonl"):
        (instance / stale).unlink(missing_ok=True)
    base = f"http://{host}:{port}"
    app = create_app(
        {
            "ENV_NAME": "demo",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'demo.db'}",
            "SANDBOX_OUTBOX_PATH": str(instance / "demo-outbox.jsonl"),
            "JOBS_LOCK_PATH": str(instance / "demo-jobs.lock"),
            "SMS_GATEWAY": "sandbox",
            "EMAIL_GATEWAY": "sandbox",
            "PUBLIC_URL": base,
        }
    )
    password = secrets.token_urlsafe(9)
    counts = build_demo(app, password=password)
    with app.app_context():
        start_in_thread()
    click.echo(
        f"\nParentLink demo: Coates Lane Primary School, {counts['pupils']} pupils, "
        f"{counts['contacts']} contacts, {counts['invitations']} invitations queued.\n\n"
        f"  Sandbox outbox (the messages, with each parent's link): {base}/dev/outbox\n"
        f"  School office:  {base}/office/\n"
        f"  Scheduled jobs: {base}/office/jobs/\n"
        f"  Demo login:     {DEMO_LOGIN}  password: {password}  (the office role)\n"
        f"  Admin login:    {DEMO_ADMIN}  the same password  (settings, staff, audit log;\n"
        "                  asks for an authenticator app's code at the first sign-in)\n\n"
        "The jobs run in this process; messages appear within about ten seconds.\n"
        "Press Ctrl+C to stop.\n"
    )
    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)
