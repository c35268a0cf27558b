"""One rule for text that comes in: no control characters other than newline and tab.

PostgreSQL refuses a NUL byte in any text value (SQLite stores it and truncates it on the
way out), and the other C0/C1 control characters have no business in a name, a question
or a search. Carriage returns are kept: browsers send every new line in a textarea as
CR LF.

The rule is checked in one place for every request (query string, form fields, the names
of uploaded files and the text parts of the URL), before any view runs, so no page can
forget it; the MIS importer asks `find_control` for each cell of a file.
"""

from __future__ import annotations

import re

from flask import Flask, request
from werkzeug.exceptions import BadRequest

# C0 controls except TAB (09), LF (0A) and CR (0D); DEL; the C1 controls.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

# Twilio's signed webhooks are checked by their signature, and an inbound text is kept
# as the network delivered it (see parentlink.messaging), so they are not refused here.
EXEMPT_BLUEPRINTS = frozenset({"webhooks"})


class UnacceptableText(BadRequest):
    """Text with a control character in it: refused with a page in the visitor's language
    (parentlink.core.errors)."""

    description = "What you sent contains invisible control characters."


def find_control(value: str) -> str | None:
    """The first control character in `value` that the rule refuses, if any."""
    found = CONTROL.search(value)
    return found.group() if found else None


def without_controls(value: str) -> str:
    """The text with refused control characters removed, for values we must keep as they
    came (an HTTP header stored as evidence)."""
    return CONTROL.sub("", value)


def _incoming_texts():
    yield from request.args.items(multi=True)
    if request.method in {"POST", "PUT", "PATCH"}:
        yield from request.form.items(multi=True)
        for key, upload in request.files.items(multi=True):
            yield key, upload.filename or ""
    for key, value in (request.view_args or {}).items():
        if isinstance(value, str):
            yield key, value


def check_request() -> None:
    """Raise UnacceptableText when any text this request brings breaks the rule."""
    if request.blueprint in EXEMPT_BLUEPRINTS:
        return
    for key, value in _incoming_texts():
        if find_control(key) or find_control(value):
            raise UnacceptableText()


def init_app(app: Flask) -> None:
    app.before_request(check_request)
