"""Logging that never carries a personal link's token or a parent's phone number."""

from __future__ import annotations

import logging
import re

_TOKEN_PATH = re.compile(r"/a/[A-Za-z0-9_-]{16,64}")


class RedactTokens(logging.Filter):
    """Rewrites /a/<token> to /a/[token] in a log record before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = _TOKEN_PATH.sub("/a/[token]", record.msg)
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(
                _TOKEN_PATH.sub("/a/[token]", a) if isinstance(a, str) else a for a in args
            )
        return True


def init_logging() -> None:
    for name in ("werkzeug", "gunicorn.access", "gunicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
    # The twilio client logs request parameters (recipients' numbers) at INFO.
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
