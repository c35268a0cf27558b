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
from werkzeug.exceptions import HTTPException, InternalServerError

from parentlink.core.i18n import use_language
from parentlink.core.text import UnacceptableText

log = logging.getLogger(__name__)

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
        lookup(token)


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
        if _staff_page():
            use_language("en")
        if error.code == 404 or not _staff_page():
            return _page(error.code, *_texts(error.code))
        return _page(error.code, error.name, error.description)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return _http(error)
        log.exception("unhandled error")
        if _staff_page():
            use_language("en")
        return _page(InternalServerError.code, *_texts(InternalServerError.code))
