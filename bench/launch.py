"""Campaign launch: 10,000 carers (invitations, their links and their messages, in one
transaction) through `launch_campaign`, against a bare bulk insert of the same rows on the
bare DBAPI connection, in the same run (goal: ratio <= 2).

    .venv/bin/python -m bench.launch                      # SQLite file
    PARENTLINK_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/<db> \\
        .venv/bin/python -m bench.launch                  # PostgreSQL (its schema is wiped)

Each round launches a new whole-school campaign ("ask again", so every carer is invited each
time) and bulk-inserts a campaign's worth of the same rows: one invitation, one
invitation_pupil and one message per carer, the message being the very text (and, for an
email, subject and HTML) the launch just wrote, with new tokens and hashes. The bare side's
rows are built before its clock starts; the launch builds its own (tokens, hashes,
rendering, segment counts) inside its time, as it must.

The first measurements used a lighter bare side (a one-line text for every carer, no email
subject or HTML: a quarter of the carers prefer email, whose rows are ten times longer); its
ratio is still printed, for comparison.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, func, insert, select, text

from parentlink import create_app
from parentlink.core.clock import FrozenClock
from parentlink.db import db

CARERS = int(os.environ.get("BENCH_CARERS", 10_000))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 3))
AT = datetime(2026, 9, 14, 9, 0, tzinfo=UTC)
URL = os.environ.get("PARENTLINK_BENCH_DATABASE_URL", "")


def make_app(url: str):
    return create_app(
        {
            "ENV_NAME": "test",
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench-secret-key-bench-secret-key-0123",
            "CLOCK": FrozenClock(AT),
        }
    )


def seed(app) -> tuple[int, int]:
    from parentlink.agreements.services import COATES_LANE_POLICY, load_version, publish
    from parentlink.directory.models import Contact, Pupil, PupilContact
    from parentlink.schema import upgrade
    from parentlink.schools.services import create_school

    with app.app_context():
        upgrade()
        school = create_school(
            name="Coates Lane Primary School", short_name="Coates Lane Primary", slug="cl"
        )
        version = publish(load_version(school.id, COATES_LANE_POLICY, actor="b"), actor="b")
        rows = range(1, CARERS + 1)
        years = ("Reception", *(f"Year {n}" for n in range(1, 7)))
        db.session.execute(
            insert(Pupil),
            [
                {"id": n, "school_id": school.id, "mis_id": f"P{n}", "first_name": f"Amelia{n}",
                 "last_name": "Example", "year_group": years[n % 7], "class_name": f"C{n % 30}",
                 "created_at": AT}
                for n in rows
            ],
        )  # fmt: skip
        db.session.execute(
            insert(Contact),
            [
                {"id": n, "school_id": school.id, "mis_id": f"C{n}", "first_name": f"Sam{n}",
                 "last_name": "Example", "mobile": f"+447700900{n % 1000:03d}",
                 "email": f"carer{n}@example.com", "preferred_channel": "sms" if n % 4 else "email",
                 "language": "en", "sms_opted_out": False, "created_at": AT}
                for n in rows
            ],
        )  # fmt: skip
        db.session.execute(
            insert(PupilContact),
            [
                {"school_id": school.id, "pupil_id": n, "contact_id": n,
                 "relationship_label": "Mother", "parental_responsibility": True,
                 "court_order_restriction": False, "priority": 1}
                for n in rows
            ],
        )  # fmt: skip
        db.session.commit()
        return school.id, version.id


def time_launch(app, school_id: int, version_id: int, n: int) -> float:
    from parentlink.agreements.models import AgreementVersion
    from parentlink.campaigns.services import launch_campaign
    from parentlink.schools.models import School

    with app.app_context():
        school = db.session.get(School, school_id)
        version = db.session.get(AgreementVersion, version_id)
        start = time.perf_counter()
        summary = launch_campaign(
            school,
            version,
            name=f"Round {n}",
            closes_at=AT + timedelta(days=21),
            actor="bench",
            ask_again=True,
        )
        db.session.commit()
        took = time.perf_counter() - start
        assert summary.invitations == CARERS, summary.invitations
        db.session.remove()
        return took


def bare_rows(app, school_id: int, version_id: int, *, same_texts: bool = True):
    """The rows a launch writes, built before the clock starts, with new tokens. With
    `same_texts`, each carer's message is the one the last launch wrote (an email has its
    subject, text and HTML, an SMS its segments); without, every carer gets a one-line text
    and no HTML (the baseline of the first measurements, which wrote less than a launch)."""
    import hashlib
    import secrets

    from parentlink.campaigns.models import Campaign, Invitation
    from parentlink.directory.models import Contact
    from parentlink.messaging.models import Message

    with app.app_context():
        if same_texts:
            written = db.session.execute(
                select(Message.contact_id, Message.channel, Message.to_address, Message.body,
                       Message.subject, Message.html_body, Message.segments)
                .join(Invitation, Invitation.id == Message.invitation_id)
                .where(Invitation.campaign_id == select(func.max(Campaign.id))
                       .where(Campaign.name.like("Round %")).scalar_subquery())
                .order_by(Message.contact_id)
            ).all()  # fmt: skip
        else:
            written = [
                (contact_id, channel, mobile if channel.value == "sms" else email,
                 f"Coates Lane Primary: please read and confirm our social media agreement for "
                 f"{first_name}: [[link]]", None, None, 1)
                for contact_id, first_name, mobile, email, channel in db.session.execute(
                    select(Contact.id, Contact.first_name, Contact.mobile, Contact.email,
                           Contact.preferred_channel).order_by(Contact.id)
                )
            ]  # fmt: skip
    rows = []
    for contact_id, channel, to, body, subject, html, segments in written:
        token = secrets.token_urlsafe(16)
        digest = hashlib.sha256(token.encode()).hexdigest()
        rows.append((contact_id, digest, token, channel.value, to, body, subject, html, segments))
    return rows


def time_bare(app, school_id: int, version_id: int, rows, n: str) -> float:
    with app.app_context():
        engine = db.engine
    raw = engine.raw_connection()
    marker = "%s" if engine.dialect.name == "postgresql" else "?"

    def sql(statement: str) -> str:
        return statement.replace("?", marker)

    try:
        cursor = raw.cursor()
        cursor.execute("SELECT coalesce(max(id), 0) FROM invitation")
        first_invitation = cursor.fetchone()[0] + 1
        raw.rollback()
        at = AT if engine.dialect.name == "postgresql" else AT.replace(tzinfo=None)
        start = time.perf_counter()
        cursor = raw.cursor()
        cursor.execute(
            sql(
                "INSERT INTO campaign (school_id, version_id, name, status, audience_kind, "
                "audience_values, completion_rule, reminder_policy, priority_lead_days, "
                "opens_at, closes_at, launched_at, created_at) "
                "VALUES (?, ?, ?, 'open', 'whole-school', '', 'any-carer', "
                "'3:same,7:other,10:both', 0, ?, ?, ?, ?)"
            ),
            (school_id, version_id, f"Bare {n}", at, at + timedelta(days=21), at, at),
        )
        cursor.execute("SELECT max(id) FROM campaign")
        campaign_id = cursor.fetchone()[0]
        ids = range(first_invitation, first_invitation + len(rows))
        cursor.executemany(
            sql(
                "INSERT INTO invitation (id, school_id, campaign_id, contact_id, token_hash, "
                "status, created_at, reminders_sent) VALUES (?, ?, ?, ?, ?, 'created', ?, 0)"
            ),
            [(i, school_id, campaign_id, r[0], r[1], at) for i, r in zip(ids, rows, strict=True)],
        )
        cursor.executemany(
            sql("INSERT INTO invitation_pupil (invitation_id, pupil_id) VALUES (?, ?)"),
            [(i, r[0]) for i, r in zip(ids, rows, strict=True)],
        )
        cursor.executemany(
            sql(
                "INSERT INTO message (school_id, kind, channel, contact_id, invitation_id, "
                "to_address, subject, body, html_body, segments, link_token, status, "
                "attempts, next_attempt_at, created_at) "
                "VALUES (?, 'invite', ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?)"
            ),
            [(school_id, r[3], r[0], i, r[4], r[6], r[5], r[7], r[8], r[2], at, at)
             for i, r in zip(ids, rows, strict=True)],
        )  # fmt: skip
        raw.commit()
        took = time.perf_counter() - start
        if engine.dialect.name == "postgresql":  # explicit ids: move the sequence past them
            cursor.execute("SELECT setval('invitation_id_seq', (SELECT max(id) FROM invitation))")
            raw.commit()
        return took
    finally:
        raw.close()


def main() -> int:
    if URL and not URL.startswith("postgresql"):
        print("PARENTLINK_BENCH_DATABASE_URL must be a PostgreSQL database you can wipe.")
        return 2
    url = URL or f"sqlite:///{tempfile.mkdtemp(prefix='pl-bench-')}/launch.db"
    if URL:
        engine = create_engine(URL)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    app = make_app(url)
    school_id, version_id = seed(app)
    print(f"database: {url.split('@')[-1]} · {CARERS:,} carers")
    launches, bares, earlier = [], [], []
    for n in range(ROUNDS):  # interleaved, so both sides meet the same machine
        launches.append(time_launch(app, school_id, version_id, n))
        rows = bare_rows(app, school_id, version_id)  # new tokens each round, untimed
        bares.append(time_bare(app, school_id, version_id, rows, f"{n}"))
        rows = bare_rows(app, school_id, version_id, same_texts=False)
        earlier.append(time_bare(app, school_id, version_id, rows, f"{n}b"))
    launch, bare = statistics.median(launches), statistics.median(bares)
    print(f"launch_campaign   {launch * 1000:8.0f} ms  (median of {ROUNDS})")
    print(f"bare bulk insert  {bare * 1000:8.0f} ms  (the rows the launch wrote, new tokens)")
    print(f"ratio {launch / bare:.2f} (goal <= 2.00)")
    first = statistics.median(earlier)
    print(f"bare, one-line texts and no email HTML (the first baseline) {first * 1000:.0f} ms: "
          f"ratio {launch / first:.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
