"""Friendly error pages, in the parent's language; never a stack trace.

The page follows the language already chosen for this request (a personal link's contact),
else `?lang=` or the browser (parentlink.core.i18n). A form that expired on a personal link
fails before its view runs, so the link's own language is looked up for it; staff pages stay
English.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app, g, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError

from parentlink.core.i18n import use_language
from parentlink.core.text import UnacceptableText
from parentlink.db import db, unavailable

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 30

LINK_LANGUAGE = "parentlink.link_language"  # app.extensions: token -> sets the page language


def _staff_page() -> bool:
    return request.path.startswith(("/office", "/dev"))


def _follow_the_link() -> None:
    if g.get("page_lang"):
        return
    if _staff_page():
        use_language("en")
        return
    token = (request.view_args or {}).get("token")
    lookup = current_app.extensions.get(LINK_LANGUAGE)
    if token and lookup:
        try:
            lookup(token)
        except SQLAlchemyError:  # the database is away: the browser's language will do
            _roll_back()


def _roll_back() -> None:
    try:
        db.session.rollback()
    except SQLAlchemyError:
        log.warning("rollback failed; the connection is dropped")


def _texts(code: int | None) -> tuple[str, str]:
    if code == 404:
        return _("Page not found"), _("We could not find that page.")
    if code == 413:
        return _("That was too large"), _("Please send less at once and try again.")
    if code == 500:
        return _("Something went wrong"), _(
            "Sorry, something went wrong on our side. Please try again in a few minutes."
        )
    return _("Sorry, that did not work"), _("Please go back and try again.")


def _page(code: int, title: str, text: str):
    return render_template("errors/error.html", code=code, title=title, text=text), code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        _follow_the_link()
        return _page(
            400, _("This form has expired"), _("Please go back, reload the page and try again.")
        )

    @app.errorhandler(UnacceptableText)
    def _control_characters(error: UnacceptableText):
        _follow_the_link()
        return _page(
            400,
            _("Some characters cannot be accepted"),
            _(
                "What you sent contains invisible control characters (such as a null "
                "character). Please go back, remove them or type the text again, and send it."
            ),
        )

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        original = getattr(error, "original_exception", None)  # e.g. a failed commit
        reason = unavailable(original) if original is not None else None
        if reason is not None:
            return _database(reason)
        if _staff_page():
            use_language("en")
        if error.code == 404 or not _staff_page():
            return _page(error.code, *_texts(error.code))
        return _page(error.code, error.name, error.description)

    def _database(reason: str):
        _roll_back()  # nothing half-written stays
        log.error("database unavailable (%s): answered 503", reason)
        if _staff_page():  # no look-up of the link's language: the database is away
            use_language("en")
        body, code = _page(
            503,
            _("Something went wrong"),
            _("Sorry, something went wrong on our side. Please try again in a few minutes."),
        )
        return body, code, {"Retry-After": str(RETRY_AFTER_SECONDS)}

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return _http(error)
        reason = unavailable(error)
        if reason is not None:
            return _database(reason)
        if isinstance(error, SQLAlchemyError):
            _roll_back()
        log.exception("unhandled error")
        if _staff_page():
            use_language("en")
        return _page(InternalServerError.code, *_texts(InternalServerError.code))
