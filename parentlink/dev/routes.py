"""Development and demo only: /dev/outbox shows what the sandbox gateway 'sent'."""

from __future__ import annotations

import re

from flask import Blueprint, current_app, render_template
from markupsafe import Markup, escape

blueprint = Blueprint("dev", __name__, url_prefix="/dev")
_URL = re.compile(r"(https?://[^\s<>\"]+)")


def linkify(text: str) -> Markup:
    """Escape the text, then make its URLs clickable."""
    parts = _URL.split(text or "")
    html = [
        Markup('<a href="{0}">{0}</a>').format(part) if i % 2 else escape(part)
        for i, part in enumerate(parts)
    ]
    return Markup("").join(html)


@blueprint.get("/outbox")
def outbox():
    from parentlink.messaging.gateways.sandbox import read_sandbox

    messages = read_sandbox(current_app.config["SANDBOX_OUTBOX_PATH"], limit=200)
    return render_template("dev/outbox.html", messages=messages, linkify=linkify)
