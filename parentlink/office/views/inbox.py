"""Parents' text messages to the school, and turning one into a concern for the DSL."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from parentlink.concerns.services import ConcernError, create_concern_from_text
from parentlink.core.clock import now
from parentlink.db import db
from parentlink.messaging.models import InboundMessage
from parentlink.messaging.queries import inbox_page
from parentlink.office.forms import ActionForm

PASSED = "Passed to the safeguarding lead as concern"


def _page() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and len(raw) < 7 else 1


def inbox():
    page = inbox_page(current_user.school_id, page=_page())
    at = now()
    for row in page.rows:  # shown to someone in the office: read
        row.message.mark_read(at)
    return render_template("office/inbox.html", page=page, form=ActionForm(), passed=PASSED)


def to_concern(message_id: int):
    message = db.session.get(InboundMessage, message_id)
    if message is None or message.school_id != current_user.school_id:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    if message.body.startswith(PASSED):
        flash("This text has already been passed to the safeguarding lead.")
        return redirect(url_for("office.inbox"), code=303)
    if message.contact_id is None:
        flash(
            "This number is not a carer on file, so it cannot be linked to a family. "
            "Please pass it to the safeguarding lead by hand."
        )
        return redirect(url_for("office.inbox"), code=303)
    try:
        concern = create_concern_from_text(message.contact_id, message.body, current_user)
    except ConcernError as exc:
        flash(str(exc))
        return redirect(url_for("office.inbox"), code=303)
    # The text now lives in the concern, where only the DSL can read it.
    message.body = f"Passed to the safeguarding lead as concern {concern.reference}."
    flash(
        f"Passed to the safeguarding lead as concern {concern.reference}. "
        "Only the safeguarding lead can read it now."
    )
    return redirect(url_for("office.inbox"), code=303)
