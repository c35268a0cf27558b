"""Logging that never carries a secret link and writes one line per event.

`Redact` is a logging filter: it renders the record's message itself (whatever its
arguments are: werkzeug's tuple, gunicorn's dict of access-log atoms), folds any traceback
into the same line, then removes every secret address from the text:

- a parent's personal link, /a/<token> and every page under it;
- a colleague's set-up link, /office/set-up/<token>;
- any other address with a token-like query value (token=, key=, signature=, …) or a long
  random path segment (the form our 128-bit tokens take).

It sits on the loggers that write request lines (werkzeug, gunicorn.access, gunicorn.error)
and on every handler of the root logger, so records that propagate from any library pass it
too. SQLAlchemy is told to hide bound parameters (parentlink.config), so a database error
never prints a concern's text, a question or a typed name.
"""

from __future__ import annotations

import logging
import re
import sys

_RULES = [
    (re.compile(r"/a/[A-Za-z0-9_.~%-]+"), "/a/[token]"),
    (re.compile(r"/office/set-up/[A-Za-z0-9_.~%-]+"), "/office/set-up/[token]"),
    (
        re.compile(r"(?i)([?&](?:token|t|key|code|secret|signature|sig|password)=)[^&\s\"'#]+"),
        r"\1[redacted]",
    ),
    # A path segment that looks like a random token: 20+ URL-safe characters with a digit.
    (re.compile(r"(?<=/)(?=[A-Za-z_-]*\d)[A-Za-z0-9_-]{20,}(?=[/?#\s\"']|$)"), "[token]"),
]
LINE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def redact(text: str) -> str:
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


def _one_line(text: str) -> str:
    return " | ".join(part for part in text.splitlines() if part.strip())


class Redact(logging.Filter):
    """Renders, folds and redacts a record in place, before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_parentlink_redacted", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken call: keep what can be shown, never the arguments
            message = f"{record.msg} (unformattable arguments)"
        if record.exc_info:
            message += " | " + logging.Formatter().formatException(record.exc_info)
        elif record.exc_text:
            message += " | " + record.exc_text
        if record.stack_info:
            message += " | " + record.stack_info
        record.msg = redact(_one_line(str(message)))
        record.args = None
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        record._parentlink_redacted = True
        return True


def _add_filter(target: logging.Filterer) -> None:
    if not any(isinstance(f, Redact) for f in target.filters):
        target.addFilter(Redact())


def init_logging() -> None:
    """Called by create_app: in the web app (under gunicorn or not), the jobs process and
    every CLI command. Adds a one-line stderr handler when nothing else logs."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(LINE_FORMAT))
        root.addHandler(handler)
        if root.level == logging.WARNING:  # the default: say what the jobs are doing
            root.setLevel(logging.INFO)
    for handler in root.handlers:
        _add_filter(handler)
    for name in ("werkzeug", "gunicorn.access", "gunicorn.error"):
        logger = logging.getLogger(name)
        _add_filter(logger)
        for handler in logger.handlers:
            _add_filter(handler)
    # The twilio client logs request parameters (recipients' numbers) at INFO; SQLAlchemy's
    # and APScheduler's INFO lines are noise, and may carry values.
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
