"""Bounce reading: N mixed bounces through the Maildir job vs the library alone, one run.

    .venv/bin/python -m bench.bounces            # 10,000 bounces
    .venv/bin/python -m bench.bounces --n 2000

Writes N bounces into a Maildir, cycling through the formats in
tests/messaging/bounce_samples/ and tests/messaging/dsn/ (Exim, qmail, Gmail, Exchange 2003,
Sendmail, Microsoft 365, Amazon SES, Postfix, ARF…), each about one of N sent emails. Then, on
the same files: the baseline reads each file and hands it to flufl.bounce alone
(`all_failures`); ours is the bounces job (`ingest_maildir`): read, our RFC 3464 reader then
flufl.bounce, classify, match the message, record the bounce and its fallback, delete the mail.
Prints both times and the ratio (library / job; the job does far more, so well under 1 is
expected; what matters is that it stays in proportion as N grows).
"""

from __future__ import annotations

import argparse
import email
import mailbox
import shutil
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from flufl.bounce import all_failures
from sqlalchemy import insert, text

from parentlink import create_app
from parentlink.core.clock import now
from parentlink.db import db
from parentlink.directory.models import Channel
from parentlink.messaging.bounces import ingest_maildir, return_path
from parentlink.messaging.models import Message, MessageKind, MessageStatus, message_ref

SAMPLES = Path(__file__).resolve().parent.parent / "tests" / "messaging"
FORMATS = [
    *sorted((SAMPLES / "bounce_samples").glob("*.eml")),
    SAMPLES / "dsn" / "postfix_user_unknown.eml",
    SAMPLES / "dsn" / "postfix_delayed.eml",
    SAMPLES / "dsn" / "exchange_recipient_not_found.eml",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="pl-bench-bounces-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    app = create_app(
        {
            "ENV_NAME": "test",
            "SQLALCHEMY_DATABASE_URI": url,
            "BOUNCE_ADDRESS": "bounces@parentlink.example.com",
            "PUBLIC_URL": "http://parentlink.test",
        }
    )
    with app.app_context():
        from parentlink.schema import upgrade
        from parentlink.schools.services import create_school

        upgrade()
        create_school(name="Coates Lane Primary School", short_name="Coates Lane", slug="cl")
        at = now() - timedelta(hours=1)
        db.session.execute(
            insert(Message),
            [
                {
                    "school_id": 1,
                    "kind": MessageKind.INVITE,
                    "channel": Channel.EMAIL,
                    "to_address": f"carer{i}@example.com",
                    "body": "Please confirm",
                    "status": MessageStatus.SENT,
                    "next_attempt_at": at,
                    "sent_at": at,
                    "created_at": at,
                }
                for i in range(1, args.n + 1)
            ],
        )
        db.session.commit()
        templates = [path.read_text() for path in FORMATS]
        box_path = folder / "bounces"
        box = mailbox.Maildir(box_path, create=True)
        files = []
        for i in range(1, args.n + 1):
            text_ = templates[i % len(templates)]
            for placeholder, value in {
                "@@VERP@@": return_path(i),
                "@@MESSAGE_ID@@": message_ref(i, 1),
                "@@RECIPIENT@@": f"carer{i}@example.com",
                "@@LOCALPART@@": f"carer{i}",
            }.items():
                text_ = text_.replace(placeholder, value)
            key = box.add(text_.encode())
            files.append(box_path / "new" / key)

        started = time.perf_counter()
        found = 0
        for path in files:
            temporary, permanent = all_failures(email.message_from_bytes(path.read_bytes()))
            found += bool(temporary or permanent)
        library = time.perf_counter() - started

        started = time.perf_counter()
        counts = ingest_maildir(str(box_path))
        job = time.perf_counter() - started
        settled = db.session.scalar(text("SELECT count(*) FROM message WHERE status = 'bounced'"))
    print(
        f"bounces: {args.n} mixed bounces in {len(FORMATS)} formats; flufl.bounce alone "
        f"{library:.2f}s ({found} with failures found); the bounces job {job:.2f}s "
        f"(read {counts.read}, bounced {counts.bounced}, noted {counts.noted}, unrecognised "
        f"{counts.unrecognised}; {settled} messages bounced); ratio library/job "
        f"{library / job:.2f}"
    )
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
