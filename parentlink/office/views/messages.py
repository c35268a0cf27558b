"""The message log (with filters) and the data-quality list."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user

from parentlink.concerns.access import concern_message_kinds
from parentlink.messaging.models import MessageKind, MessageStatus
from parentlink.office import message_queries
from parentlink.office.permissions import Permission, can


def _page() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and len(raw) < 7 else 1


def _enum(enum_type, name: str):
    value = request.args.get(name, "")
    return next((m for m in enum_type if m.value == value), None)


def _hidden_kinds() -> frozenset[MessageKind]:
    """Concern traces (the acknowledgement a parent got, the alerts to staff) are the DSL's."""
    return frozenset() if can(Permission.READ_CONCERNS) else concern_message_kinds()


def message_log():
    hidden = _hidden_kinds()
    status = _enum(MessageStatus, "status")
    kind = _enum(MessageKind, "kind")
    if kind in hidden:
        kind = None
    channel = (
        request.args.get("channel") if request.args.get("channel") in ("sms", "email") else None
    )
    page = message_queries.message_log(
        current_user.school_id,
        status=status,
        kind=kind,
        channel=channel,
        hidden_kinds=hidden,
        page=_page(),
    )
    return render_template(
        "office/messages.html",
        page=page,
        status=status,
        kind=kind,
        channel=channel,
        statuses=list(MessageStatus),
        kinds=[k for k in MessageKind if k not in hidden],
    )


def data_quality():
    page = message_queries.data_quality(current_user.school_id, page=_page())
    return render_template("office/data_quality.html", page=page)
