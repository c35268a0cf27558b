"""What the parent pages show: the agreement (with what changed since an earlier
confirmation) and the read-only receipt. Routes decide which; these build the context."""

from __future__ import annotations

from flask import render_template

from parentlink.agreements.diff import diff_versions
from parentlink.agreements.models import Audience
from parentlink.campaigns.models import Confirmation, Invitation
from parentlink.parents.forms import ConfirmFormBase, LanguageForm, confirm_form_for


def _clauses(invitation: Invitation):
    return invitation.campaign.version.clauses_for(Audience.PARENTS_CARERS)


def confirm_form(invitation: Invitation) -> ConfirmFormBase:
    return confirm_form_for(_clauses(invitation))


def _common(invitation: Invitation) -> dict:
    return {
        "invitation": invitation,
        "school": invitation.campaign.school,
        "version": invitation.campaign.version,
        "language_form": LanguageForm(formdata=None),
    }


def agreement(
    invitation: Invitation,
    form: ConfirmFormBase,
    *,
    withdrawn: Confirmation | None,
    earlier: Confirmation | None,
):
    clauses = _clauses(invitation)
    changes = None
    if earlier is not None:
        changes = diff_versions(earlier.version, invitation.campaign.version)
    return render_template(
        "parents/agreement.html",
        clauses=clauses,
        form=form,
        withdrawn=withdrawn,
        earlier=earlier,
        changes=changes,
        **_common(invitation),
    ), (422 if form.errors else 200)


def receipt(invitation: Invitation, confirmation: Confirmation, withdraw_form):
    by_clause = {response.clause_id: response for response in confirmation.responses}
    answered = [(clause, by_clause.get(clause.id)) for clause in _clauses(invitation)]
    return render_template(
        "parents/receipt.html",
        confirmation=confirmation,
        answered=answered,
        withdraw_form=withdraw_form,
        **_common(invitation),
    ), (422 if withdraw_form.errors else 200)
