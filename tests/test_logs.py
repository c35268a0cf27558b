"""Secrets and personal data never reach the logs: not under werkzeug, not under gunicorn's
access log (whose arguments are a dict of atoms), not in a database error; one line each."""

from __future__ import annotations

import logging
from datetime import timedelta
from types import SimpleNamespace

import pytest
from gunicorn.config import Config
from gunicorn.glogging import Logger as GunicornLogger
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from parentlink.core.logs import Redact, init_logging, redact
from parentlink.db import db

TOKEN = "QbWx3v9XfZr1Kp0aLmN2cA"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (f"GET /a/{TOKEN} HTTP/1.1", "GET /a/[token] HTTP/1.1"),
        (f"POST /a/{TOKEN}/concern HTTP/1.1", "POST /a/[token]/concern HTTP/1.1"),
        (f"GET /office/set-up/{TOKEN} HTTP/1.1", "GET /office/set-up/[token] HTTP/1.1"),
        (f"GET /x?token={TOKEN}&lang=pl", "GET /x?token=[redacted]&lang=pl"),
        (f"GET /files/{TOKEN}/view", "GET /files/[token]/view"),
        ("GET /office/campaigns/3 HTTP/1.1", "GET /office/campaigns/3 HTTP/1.1"),
    ],
)
def test_every_secret_address_is_redacted(line, expected):
    assert redact(line) == expected


def test_werkzeug_request_lines_hide_the_token(app, caplog):
    logger = logging.getLogger("werkzeug")
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logger.info('%s - - "%s" %s', "127.0.0.1", f"GET /a/{TOKEN} HTTP/1.1", "200")
    assert TOKEN not in caplog.text
    assert '"GET /a/[token] HTTP/1.1" 200' in caplog.text
    assert any(isinstance(f, Redact) for f in logger.filters)


def test_gunicorns_access_log_writes_the_line_without_the_token(app, tmp_path, capsys):
    """gunicorn logs `access_log_format % atoms` with a dict: the line must still be written
    (no "--- Logging error ---"), with the set-up link and the Referer redacted."""
    access = tmp_path / "access.log"
    cfg = Config()
    cfg.set("accesslog", str(access))
    glog = GunicornLogger(cfg)
    init_logging()
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/office/set-up/{TOKEN}",
        "PATH_INFO": f"/office/set-up/{TOKEN}",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": f"https://parentlink.example.com/a/{TOKEN}",
        "HTTP_USER_AGENT": "Mozilla/5.0",
    }
    response = SimpleNamespace(status="200 OK", headers=[], sent=1234)
    request = SimpleNamespace(headers=[("HOST", "parentlink.example.com")])
    glog.access(response, request, environ, timedelta(milliseconds=12))
    for handler in glog.access_log.handlers:
        handler.flush()
    written = access.read_text()
    assert written.count("\n") == 1
    assert '"GET /office/set-up/[token] HTTP/1.1" 200 1234' in written
    assert '"https://parentlink.example.com/a/[token]"' in written
    assert TOKEN not in written
    assert "Logging error" not in capsys.readouterr().err
    for handler in list(glog.access_log.handlers) + list(glog.error_log.handlers):
        handler.close()
        handler.filters.clear()


def test_a_traceback_is_one_line_without_the_token(app, caplog):
    logger = logging.getLogger("parentlink.test")
    with caplog.at_level(logging.ERROR):
        try:
            raise RuntimeError(f"failed on /a/{TOKEN}")
        except RuntimeError:
            logger.exception("request failed")
    record = caplog.records[-1]
    line = caplog.handler.format(record)
    assert "\n" not in line
    assert "request failed | Traceback" in line and "/a/[token]" in line
    assert TOKEN not in caplog.text


def test_database_errors_hide_the_values_they_were_given(app):
    secret = "A group chat keeps posting about Amelia"
    with app.app_context():
        with pytest.raises(SQLAlchemyError) as info:
            db.session.execute(text("SELECT * FROM no_such_table WHERE x = :v"), {"v": secret})
        db.session.rollback()
    assert secret not in str(info.value)
    assert "parameters hidden" in str(info.value)
