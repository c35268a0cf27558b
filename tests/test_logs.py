"""Tokens never reach the logs."""

from __future__ import annotations

import logging

from parentlink.core.logs import RedactTokens


def test_the_request_log_line_hides_the_token(app, client, caplog):
    token = "QbWx3v9XfZr1Kp0aLmN2cA"
    logger = logging.getLogger("werkzeug")
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logger.info('%s - - "%s" %s', "127.0.0.1", f"GET /a/{token} HTTP/1.1", "404")
    assert token not in caplog.text
    assert "/a/[token]" in caplog.text
    assert any(isinstance(f, RedactTokens) for f in logger.filters)
