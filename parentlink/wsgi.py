"""The web app for a WSGI server: `gunicorn --preload parentlink.wsgi:app` (installed with
the package).

A wrong setting or a database without its schema stops the server at start with one line
that says what to fix (with --preload, before any worker starts; without it each worker
stops and gunicorn with them). A database that does not answer at start is only reported:
pages answer 503 until it is back. The check's connection is closed again, so no worker
inherits a socket from the master.
"""

from __future__ import annotations

import logging
import sys

from sqlalchemy.exc import SQLAlchemyError

from parentlink import create_app
from parentlink.config import ConfigError
from parentlink.db import NO_SCHEMA, db, schema_missing, unavailable

WORKER_BOOT_ERROR = 3  # gunicorn halts, instead of restarting workers that cannot boot


def _refuse(message: str) -> None:
    print(f"parentlink: {message}", file=sys.stderr, flush=True)
    raise SystemExit(WORKER_BOOT_ERROR)


try:
    app = create_app()
except ConfigError as exc:
    _refuse(f"configuration: {exc}")

with app.app_context():
    try:
        if schema_missing():
            _refuse(NO_SCHEMA)
    except (SQLAlchemyError, OSError) as exc:
        logging.getLogger("parentlink").warning(
            "starting without the database (%s); pages answer 503 until it is back",
            unavailable(exc) or type(exc).__name__,
        )
    finally:
        db.engine.dispose()
