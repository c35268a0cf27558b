"""The message log (with filters) and the data-quality list."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user

from parentlink.messaging.models import MessageKind, MessageStatus
from parentlink.office import message_queries


def _page() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and len(raw) < 7 else 1


def _enum(enum_type, name: str):
    value = request.args.get(name, "")
    return next((m for m in enum_type if m.value == value), None)


def message_log():
    status = _enum(MessageStatus, "status")
    kind = _enum(MessageKind, "kind")
    channel = (
        request.args.get("channel") if request.args.get("channel") in ("sms", "email") else None
    )
    page = message_queries.message_log(
        current_user.school_id, status=status, kind=kind, channel=channel, page=_page()
    )
    return render_template(
        "office/messages.html",
        page=page,
        status=status,
        kind=kind,
        channel=channel,
        statuses=list(MessageStatus),
        kinds=list(MessageKind),
    )


def data_quality():
    page = message_queries.data_quality(current_user.school_id, page=_page())
    return render_template("office/data_quality.html", page=page)
