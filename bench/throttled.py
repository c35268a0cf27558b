"""The dispatcher against a provider that answers 429: does the shared rate find the limit?

    .venv/bin/python -m bench.throttled            # the server accepts 50 SMS a second
    .venv/bin/python -m bench.throttled --limit 20

The local Twilio-compatible server accepts `limit` SMS a second and answers 429 (error 20429)
past it, while the school's configured rate is twice that. Goals: the rate the server
accepts is within 10% of the limit, and fewer than 5% of requests are refused once the rate
has adapted (the second half of the run). Retries come back after 0.5-2 s here, so the run
measures the pacing, not the backoff. The database is a fresh SQLite file, or
PARENTLINK_BENCH_DATABASE_URL (its `public` schema is DROPPED first).
"""

from __future__ import annotations

import argparse
import time

from sqlalchemy import text

from bench.messaging import ServerProcess, fresh_database, make_app, queue
from parentlink.db import db
from parentlink.directory.models import Channel


def bench_throttled(url: str, limit: float, seconds: float = 30) -> tuple[float, float]:
    """The server accepts `limit` SMS a second and answers 429 past it; the school set twice
    that. The dispatcher must find the limit: the accepted rate within 10% of it, and fewer
    than 5% of requests refused once adapted (the second half of the run)."""
    n = int(limit * seconds)
    twilio = ServerProcess("twilio")
    api_url, sid = twilio.address
    twilio.ask(("limit", limit))
    try:
        app = make_app(url)
        queue(app, Channel.SMS, n)
        app = make_app(
            url,
            SMS_GATEWAY="twilio",
            TWILIO_API_URL=api_url,
            TWILIO_ACCOUNT_SID=sid,
            SMS_PER_SECOND=2 * limit,
            DISPATCH_BATCH_SIZE=100,
            DISPATCH_MAX_ATTEMPTS=50,
            DISPATCH_BACKOFF_BASE_SECONDS=0.5,
            DISPATCH_BACKOFF_CAP_SECONDS=2,
        )
        from parentlink.messaging.dispatcher import dispatch_pending

        with app.app_context():
            while db.session.scalar(text("SELECT count(*) FROM message WHERE status = 'queued'")):
                dispatch_pending(max_batches=100_000)
                db.session.commit()
                time.sleep(0.2)
            db.engine.dispose()
        count, most, stamps = twilio.ask("stats")
        _, refused_at = twilio.ask("refused")
    finally:
        twilio.stop()
    assert count == n and most == 1, (count, most)
    stamps.sort()
    achieved = (count - 1) / (stamps[-1] - stamps[0])
    middle = stamps[0] + (stamps[-1] - stamps[0]) / 2
    late_ok = sum(1 for t in stamps if t >= middle)
    late_refused = sum(1 for t in refused_at if t >= middle)
    refused_share = late_refused / (late_ok + late_refused)
    print(
        f"429:   server limit {limit:.0f}/s, school's rate {2 * limit:.0f}/s: accepted "
        f"{achieved:.1f}/s over {count} SMS ({abs(achieved - limit) / limit:.1%} off; goal "
        f"within 10%); {len(refused_at)} refused in all, {refused_share:.1%} of requests in "
        "the second half (goal < 5%)"
    )
    return achieved, refused_share


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=float, default=50, help="SMS a second the server takes")
    parser.add_argument("--seconds", type=float, default=30, help="how long the run lasts")
    args = parser.parse_args()
    url = fresh_database()
    print(f"database: {url.split('@')[-1]}")
    bench_throttled(url, args.limit, args.seconds)


if __name__ == "__main__":
    main()
