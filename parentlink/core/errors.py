"""Friendly error pages; never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        return render_template(
            "errors/error.html",
            code=400,
            title="This form has expired",
            text="Please go back, reload the page and try again.",
        ), 400

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        if error.code == 404:
            return render_template(
                "errors/error.html",
                code=404,
                title="Page not found",
                text="We could not find that page.",
            ), 404
        return render_template(
            "errors/error.html", code=error.code, title=error.name, text=error.description
        ), error.code

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return _http(error)
        log.exception("unhandled error")
        code = InternalServerError.code
        return render_template(
            "errors/error.html",
            code=code,
            title="Something went wrong",
            text="Sorry, something went wrong on our side. Please try again in a few minutes.",
        ), code
