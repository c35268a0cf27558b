"""The parent-facing pages, reached by a personal link: /a/<token>."""

from __future__ import annotations

import contextlib

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from flask_limiter import RateLimitExceeded

from parentlink.campaigns.confirmations import (
    NothingToWithdraw,
    earlier_confirmation,
    last_withdrawn,
    send_receipt,
    standing_confirmation,
    withdraw,
)
from parentlink.campaigns.links import send_new_links
from parentlink.campaigns.models import InvitationStatus
from parentlink.campaigns.services import AlreadyConfirmed, confirm, find_invitation
from parentlink.core.clock import now
from parentlink.core.errors import LINK_LANGUAGE
from parentlink.core.i18n import supported, use_language
from parentlink.core.security import mark_token_page
from parentlink.core.tokens import looks_like_token
from parentlink.parents import pages, plain_page
from parentlink.parents.forms import LanguageForm, NewLinkForm, WithdrawForm
from parentlink.parents.limits import NEW_LINK_PER_IP, limiter, too_many
from parentlink.parents.queries import link_facts, sole_school
from parentlink.schools.logo import logo_response

blueprint = Blueprint("parents", __name__)
blueprint.register_error_handler(RateLimitExceeded, too_many)


def _usable_invitation(token: str, *, for_update: bool = False):
    if not looks_like_token(token):
        return None
    invitation = find_invitation(token, for_update=for_update)
    grace = current_app.config["LINK_GRACE_DAYS"]
    if invitation is None or not invitation.usable_at(now(), grace):
        return None
    use_language(_shown_language(invitation.contact.language))
    g.parent_token = token
    return invitation


def _shown_language(stored: str | None) -> str | None:
    """The contact's language, or ?lang= for this view only (a translated page links to the
    binding English wording this way, without changing the family's choice)."""
    return supported(request.args.get("lang")) or stored


@blueprint.record_once
def _error_pages_follow_the_link(state) -> None:
    """An expired form on a personal link (a CSRF error) is explained in the link's language."""
    state.app.extensions[LINK_LANGUAGE] = _usable_invitation


def _link_not_working():
    """Unknown, expired and revoked links all get this one page: it tells nothing apart
    (not even that a token was valid: no per-link language switch here). A deployment for
    one school names it and its office's phone and email."""
    g.pop("parent_token", None)
    return render_template(
        "parents/link_not_working.html", form=NewLinkForm(), school=sole_school()
    ), 404


def _plain_page(token: str):
    """The response from one Core read, or None when the page needs the full load: the first
    open (which records it), a receipt, a withdrawn confirmation, changes, concerns, and a
    post that validates (it writes, under the invitation's lock). Unknown, expired and
    revoked links get the not-working page here too."""
    facts = link_facts(token) if looks_like_token(token) else None
    if facts is None or not facts.usable_at(now(), current_app.config["LINK_GRACE_DAYS"]):
        return _link_not_working()
    if not facts.plain:
        return None
    use_language(_shown_language(facts.language))
    g.parent_token = token
    form = None
    if request.method == "POST":
        form = plain_page.posted_form(facts)
        if form.validate_on_submit():
            return None
    return plain_page.page(facts, token, form)


@blueprint.route("/a/<token>", methods=["GET", "POST"])
def agreement(token: str):
    mark_token_page()
    response = _plain_page(token)
    if response is not None:
        return response
    invitation = _usable_invitation(token, for_update=request.method == "POST")
    if invitation is None:
        return _link_not_working()
    confirmation = standing_confirmation(invitation)
    if confirmation is not None:
        return pages.receipt(invitation, confirmation, WithdrawForm(formdata=None))
    form = pages.confirm_form(invitation)
    if form.validate_on_submit():
        try:
            confirmation = confirm(
                invitation,
                typed_name=" ".join(form.typed_name.data.split()),
                ip_address=request.remote_addr,
                user_agent=request.user_agent.string,
                language=g.page_lang,
                answers=form.answers(),
            )
        except AlreadyConfirmed:  # a double submit: show the receipt of the first
            pass
        else:
            send_receipt(invitation, confirmation, token=token)
        return redirect(url_for("parents.agreement", token=token), code=303)
    if request.method == "GET":
        invitation.mark_opened(now())
    withdrawn = None
    if invitation.status is InvitationStatus.WITHDRAWN:
        withdrawn = last_withdrawn(invitation)
    return pages.agreement(
        invitation,
        form,
        withdrawn=withdrawn,
        earlier=earlier_confirmation(invitation),
    )


@blueprint.post("/a/<token>/withdraw")
def withdraw_confirmation(token: str):
    mark_token_page()
    invitation = _usable_invitation(token, for_update=True)
    if invitation is None:
        return _link_not_working()
    confirmation = standing_confirmation(invitation)
    if confirmation is None:
        return redirect(url_for("parents.agreement", token=token), code=303)
    form = WithdrawForm()
    if not form.validate_on_submit():
        return pages.receipt(invitation, confirmation, form)
    if form.sure.data != "yes":  # asked once: are you sure?
        return pages.withdraw_check(invitation, confirmation, form)
    with contextlib.suppress(NothingToWithdraw):
        withdraw(invitation, reason=(form.reason.data or "").strip() or None)
    return redirect(url_for("parents.agreement", token=token), code=303)


@blueprint.post("/a/<token>/language")
def choose_language(token: str):
    mark_token_page()
    invitation = _usable_invitation(token)
    if invitation is None:
        return _link_not_working()
    code = supported(request.form.get("lang"))
    if LanguageForm().validate_on_submit() and code:
        invitation.contact.language = code  # the choice sticks to the contact
    if request.form.get("next") == "concern":
        return redirect(url_for("concerns.report", token=token), code=303)
    return redirect(url_for("parents.agreement", token=token), code=303)


@blueprint.route("/link/new", methods=["GET", "POST"])
@limiter.limit(NEW_LINK_PER_IP, methods=["POST"])
def new_link():
    form = NewLinkForm()
    if form.validate_on_submit():
        send_new_links(form.address.data, ip_address=request.remote_addr)
        # the same, matched or not
        return render_template("parents/new_link_sent.html", school=sole_school())
    status = 422 if form.errors else 200
    return render_template("parents/new_link.html", form=form, school=sole_school()), status


@blueprint.get("/school-logo/<int:school_id>/<sha>.png")
def school_logo(school_id: int, sha: str):
    """The school's logo at its versioned address (schools/logo.py)."""
    return logo_response(school_id, sha)


@blueprint.get("/accessibility")
def accessibility():
    return render_template("parents/accessibility.html")


@blueprint.get("/privacy")
def privacy():
    return render_template("parents/privacy.html")
