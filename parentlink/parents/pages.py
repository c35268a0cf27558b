"""What the parent pages show: the agreement (with what changed since an earlier
confirmation) and the read-only receipt. Routes decide which; these build the context."""

from __future__ import annotations

from flask import render_template, request
from markupsafe import Markup

from parentlink.agreements.diff import diff_versions
from parentlink.agreements.models import AgreementVersion, Audience
from parentlink.agreements.queries import clauses_for
from parentlink.agreements.translations import translations_for
from parentlink.campaigns.models import Confirmation, Invitation
from parentlink.concerns.queries import concerns_of_contact
from parentlink.core.i18n import names_list, page_language
from parentlink.parents.forms import ConfirmForm, LanguageForm, confirm_form_for


def _clauses(invitation: Invitation):
    return clauses_for(invitation.campaign.version, Audience.PARENTS_CARERS)


def confirm_form(invitation: Invitation) -> ConfirmForm:
    return confirm_form_for(_clauses(invitation), posted=request.method == "POST")


def _common(invitation: Invitation) -> dict:
    return {
        "invitation": invitation,
        "school": invitation.campaign.school,
        "version": invitation.campaign.version,
        "language_form": LanguageForm(formdata=None),
    }


_CLAUSES_HTML: dict[tuple, Markup] = {}


def clauses_html(version: AgreementVersion, clauses, form: ConfirmForm, changed: dict) -> Markup:
    """The clause list. A fresh form on a frozen version renders the same for everyone who
    reads it in the same language, so it is rendered once per process and kept."""
    language = page_language()
    translated = translations_for(version.id, language)
    fresh = request.method == "GET" and not form.errors and version.sha256
    key = (
        version.id,
        version.sha256,
        language,
        version.translations_revision,
        tuple(sorted(changed.items())),
    )
    if fresh and key in _CLAUSES_HTML:
        return _CLAUSES_HTML[key]
    # The template escapes every value it puts in; Markup only stops a second escaping.
    html = Markup(  # noqa: S704
        render_template(
            "parents/_clauses.html",
            clauses=clauses,
            form=form,
            changed=changed,
            translated=translated,
        )
    )
    if fresh:
        if len(_CLAUSES_HTML) > 256:
            _CLAUSES_HTML.clear()
        _CLAUSES_HTML[key] = html
    return html


def agreement(
    invitation: Invitation,
    form: ConfirmForm,
    *,
    withdrawn: Confirmation | None,
    earlier: Confirmation | None,
):
    clauses = _clauses(invitation)
    changes = None
    if earlier is not None:
        changes = diff_versions(earlier.version, invitation.campaign.version)
    changed = {change.key: change.kind.value for change in changes or []}
    return render_template(
        "parents/agreement.html",
        clauses_html=clauses_html(invitation.campaign.version, clauses, form, changed),
        form=form,
        withdrawn=withdrawn,
        earlier=earlier,
        changes=changes,
        parent_name=invitation.contact.first_name,
        children=names_list(pupil.first_name for pupil in invitation.pupils),
        concerns=bool(concerns_of_contact(invitation.contact_id, limit=1)),
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
