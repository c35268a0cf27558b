"""Chase job: one indexed query for due reminders, within 2x of bare SQL, flat memory.

    .venv/bin/python -m bench.chase

Builds a school with N invitations of which 2,000 are owed a reminder (the others have had
every reminder, or confirmed), then times `due_reminders_query` through SQLAlchemy against the
equivalent hand-written SQL on a raw psycopg cursor, and measures the ORM path's peak memory at
two sizes. Prints the ratios.
"""

from __future__ import annotations

import os
import statistics
import time
import tracemalloc
from datetime import UTC, datetime, timedelta

import psycopg
from sqlalchemy import insert, text

from parentlink import create_app
from parentlink.agreements.services import COATES_LANE_POLICY, load_version, publish
from parentlink.campaigns.chase import due_reminders_query
from parentlink.campaigns.models import (
    Campaign,
    CampaignStatus,
    Invitation,
    InvitationStatus,
    invitation_pupil,
)
from parentlink.db import db
from parentlink.directory.models import Contact, Pupil, PupilContact
from parentlink.schema import upgrade
from parentlink.schools.services import create_school

URL = os.environ.get(
    "PARENTLINK_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/pl_bench"
)
DUE = 2_000
NOW = datetime(2026, 10, 22, 9, 5, tzinfo=UTC)

BARE_SQL = """
SELECT i.id FROM invitation i
WHERE i.campaign_id = %(campaign)s
  AND i.status IN ('created', 'sent', 'opened')
  AND i.reminders_sent < 1
  AND (i.last_reminded_at IS NULL OR i.last_reminded_at < %(day)s)
  AND EXISTS (
    SELECT 1 FROM invitation_pupil mine
    WHERE mine.invitation_id = i.id AND NOT EXISTS (
      SELECT 1 FROM confirmation_pupil cp
      JOIN confirmation c ON c.id = cp.confirmation_id
      JOIN invitation o ON o.id = c.invitation_id
      WHERE cp.pupil_id = mine.pupil_id AND o.campaign_id = %(campaign)s
        AND c.withdrawn_at IS NULL))
ORDER BY i.id
"""


def _ensure_database() -> None:
    name = URL.rsplit("/", 1)[1]
    admin = URL.rsplit("/", 1)[0].replace("postgresql+psycopg", "postgresql") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def build(total: int):
    app = create_app({"SQLALCHEMY_DATABASE_URI": URL, "ENV_NAME": "test"})
    with app.app_context():
        db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        db.session.commit()
        upgrade()
        school = create_school(name="Bench School", short_name="Bench", slug="bench")
        version = publish(load_version(school.id, COATES_LANE_POLICY, actor="b"), actor="b")
        campaign = Campaign(
            school_id=school.id,
            version_id=version.id,
            name="Bench",
            status=CampaignStatus.OPEN,
            opens_at=NOW - timedelta(days=7),
            closes_at=NOW + timedelta(days=30),
            launched_at=NOW - timedelta(days=7),
        )
        db.session.add(campaign)
        db.session.flush()
        s = school.id
        rows = range(1, total + 1)
        db.session.execute(
            insert(Pupil),
            [
                {
                    "id": n,
                    "school_id": s,
                    "mis_id": f"P{n}",
                    "first_name": "Child",
                    "last_name": "B",
                    "year_group": "Year 3",
                    "class_name": "Owls",
                    "created_at": NOW,
                }
                for n in rows
            ],
        )
        db.session.execute(
            insert(Contact),
            [
                {
                    "id": n,
                    "school_id": s,
                    "mis_id": f"C{n}",
                    "first_name": "Carer",
                    "last_name": "B",
                    "mobile": "+447700900001",
                    "preferred_channel": "sms",
                    "language": "en",
                    "sms_opted_out": False,
                    "created_at": NOW,
                }
                for n in rows
            ],
        )
        db.session.execute(
            insert(PupilContact),
            [
                {
                    "school_id": s,
                    "pupil_id": n,
                    "contact_id": n,
                    "relationship_label": "Mother",
                    "parental_responsibility": True,
                    "court_order_restriction": False,
                    "priority": 1,
                }
                for n in rows
            ],
        )
        db.session.execute(
            insert(Invitation),
            [
                {
                    "id": n,
                    "school_id": s,
                    "campaign_id": campaign.id,
                    "contact_id": n,
                    "token_hash": f"{n:064x}",
                    "created_at": NOW,
                    "status": InvitationStatus.SENT
                    if n <= DUE or n % 2
                    else InvitationStatus.CONFIRMED,
                    "reminders_sent": 0 if n <= DUE else 3,
                }
                for n in rows
            ],
        )
        db.session.execute(
            insert(invitation_pupil), [{"invitation_id": n, "pupil_id": n} for n in rows]
        )
        for seq in ("pupil_id_seq", "contact_id_seq", "invitation_id_seq"):
            db.session.execute(text(f"SELECT setval('{seq}', {total + 1})"))
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        return app, campaign.id


def measure(app, campaign_id: int, repeat: int = 7) -> dict:
    start_of_day = NOW.replace(hour=0, minute=5)
    raw_url = URL.replace("postgresql+psycopg", "postgresql")
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        query = due_reminders_query(campaign, 1, 1, start_of_day)
        orm, bare = [], []
        with psycopg.connect(raw_url) as raw:
            for _ in range(repeat):
                t0 = time.perf_counter()
                ids = db.session.scalars(query).all()
                orm.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                bare_ids = [
                    r[0]
                    for r in raw.execute(
                        BARE_SQL, {"campaign": campaign_id, "day": start_of_day}
                    ).fetchall()
                ]
                bare.append(time.perf_counter() - t0)
        assert ids == bare_ids and len(ids) == DUE, (len(ids), len(bare_ids))
        tracemalloc.start()
        db.session.scalars(query).all()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        plan = "\n".join(
            r[0]
            for r in db.session.execute(
                text(
                    "EXPLAIN "
                    + str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
                )
            )
        )
    return {
        "orm": statistics.median(orm),
        "bare": statistics.median(bare),
        "peak": peak,
        "plan": plan,
    }


def main() -> None:
    _ensure_database()
    results = {}
    for total in (100_000, 200_000):
        app, campaign_id = build(total)
        results[total] = measure(app, campaign_id)
        r = results[total]
        print(
            f"{total:>7} invitations, {DUE} due: chase query {r['orm'] * 1000:.1f} ms, "
            f"bare SQL {r['bare'] * 1000:.1f} ms, ratio {r['orm'] / r['bare']:.2f} "
            f"(budget <= 2.0); peak memory {r['peak'] / 1024:.0f} KiB"
        )
    growth = results[200_000]["peak"] / results[100_000]["peak"]
    print(f"peak memory at 200,000 / at 100,000 invitations: {growth:.2f} (flat is ~1.0)")
    print("plan at 200,000:\n" + results[200_000]["plan"])


if __name__ == "__main__":
    main()
