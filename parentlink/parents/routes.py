"""The parent-facing pages, reached by a personal link: /a/<token>."""

from __future__ import annotations

from contextlib import suppress

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from parentlink.agreements.models import Audience
from parentlink.campaigns.services import (
    AlreadyConfirmed,
    confirm,
    find_invitation,
    latest_confirmation,
)
from parentlink.core.clock import now
from parentlink.core.security import mark_token_page
from parentlink.core.tokens import looks_like_token
from parentlink.parents.forms import ConfirmForm

blueprint = Blueprint("parents", __name__)


def _usable_invitation(token: str, *, for_update: bool = False):
    if not looks_like_token(token):
        return None
    invitation = find_invitation(token, for_update=for_update)
    grace = current_app.config["LINK_GRACE_DAYS"]
    if invitation is None or not invitation.usable_at(now(), grace):
        return None
    return invitation


def _link_not_working():
    """Unknown, expired and revoked links all get this one page: it tells nothing apart."""
    return render_template("parents/link_not_working.html"), 404


@blueprint.route("/a/<token>", methods=["GET", "POST"])
def agreement(token: str):
    mark_token_page()
    invitation = _usable_invitation(token, for_update=request.method == "POST")
    if invitation is None:
        return _link_not_working()
    confirmation = latest_confirmation(invitation)
    if confirmation is not None and confirmation.withdrawn_at is None:
        return render_template(
            "parents/receipt.html", invitation=invitation, confirmation=confirmation
        )
    form = ConfirmForm()
    if form.validate_on_submit():
        with suppress(AlreadyConfirmed):  # a double submit: show the receipt of the first
            confirm(
                invitation,
                typed_name=" ".join(form.typed_name.data.split()),
                ip_address=request.remote_addr,
                user_agent=request.user_agent.string,
            )
        return redirect(url_for("parents.agreement", token=token), code=303)
    if request.method == "GET":
        invitation.mark_opened(now())
    version = invitation.campaign.version
    status = 422 if form.errors else 200
    return render_template(
        "parents/agreement.html",
        invitation=invitation,
        school=invitation.campaign.school,
        version=version,
        clauses=version.clauses_for(Audience.PARENTS_CARERS),
        form=form,
    ), status
