"""What the parent pages show: the agreement (with what changed since an earlier
confirmation) and the read-only receipt. Routes decide which; these build the context."""

from __future__ import annotations

from flask import render_template, request
from markupsafe import Markup

from parentlink.agreements.diff import diff_versions
from parentlink.agreements.models import AgreementVersion
from parentlink.agreements.queries import parent_points
from parentlink.agreements.translations import translations_for
from parentlink.campaigns.models import Confirmation, Invitation
from parentlink.concerns.queries import concerns_of_contact
from parentlink.core.i18n import names_list, page_language
from parentlink.parents.forms import ConfirmForm, LanguageForm, confirm_form_for
from parentlink.parents.queries import told_apart


def _points(invitation: Invitation):
    return parent_points(invitation.campaign.version)


def confirm_form(invitation: Invitation) -> ConfirmForm:
    return confirm_form_for(_points(invitation), posted=request.method == "POST")


def _common(invitation: Invitation) -> dict:
    return {
        "invitation": invitation,
        "school": invitation.campaign.school,
        "version": invitation.campaign.version,
        "language_form": LanguageForm(formdata=None),
    }


_POINTS_HTML: dict[tuple, Markup] = {}


def points_html(version: AgreementVersion, points, form: ConfirmForm, changed: dict) -> Markup:
    """The list of points. A fresh form on a frozen version renders the same for everyone who
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
    if fresh and key in _POINTS_HTML:
        return _POINTS_HTML[key]
    # The template escapes every value it puts in; Markup only stops a second escaping.
    html = Markup(  # noqa: S704
        render_template(
            "parents/_points.html",
            points=[
                (
                    point,
                    translated.get(point.lead.id),
                    [
                        (t.body, True)
                        if (t := translated.get(c.id)) and t.body
                        else (c.body, False)
                        for c in point.clauses
                    ],
                )
                for point in points
            ],
            form=form,
            changed=changed,
            translated=translated,
        )
    )
    if fresh:
        if len(_POINTS_HTML) > 256:
            _POINTS_HTML.clear()
        _POINTS_HTML[key] = html
    return html


def agreement(
    invitation: Invitation,
    form: ConfirmForm,
    *,
    withdrawn: Confirmation | None,
    earlier: Confirmation | None,
):
    points = _points(invitation)
    changes = None
    if earlier is not None:
        changes = diff_versions(earlier.version, invitation.campaign.version)
    changed = {change.key: change.kind.value for change in changes or []}
    return render_template(
        "parents/agreement.html",
        points_html=points_html(invitation.campaign.version, points, form, changed),
        form=form,
        withdrawn=withdrawn,
        earlier=earlier,
        changes=changes,
        parent_name=invitation.contact.first_name,
        children=names_list(children_of(invitation.pupils)),
        concerns=bool(concerns_of_contact(invitation.contact_id, limit=1)),
        **_common(invitation),
    ), (422 if form.errors else 200)


def children_of(pupils) -> tuple[str, ...]:
    """The children's names as the page shows them, in page order (see told_apart)."""
    ordered = sorted(pupils, key=lambda pupil: pupil.first_name)
    return told_apart((p.first_name, p.class_name, p.last_name) for p in ordered)


def receipt(invitation: Invitation, confirmation: Confirmation, withdraw_form):
    by_clause = {response.clause_id: response for response in confirmation.responses}
    translated = translations_for(invitation.campaign.version_id, page_language())
    answered = [
        (
            (t.summary if (t := translated.get(point.lead.id)) and t.summary else point.summary),
            by_clause.get(point.lead.id),
        )
        for point in _points(invitation)
    ]
    return render_template(
        "parents/receipt.html",
        confirmation=confirmation,
        answered=answered,
        children=names_list(children_of(confirmation.pupils)),
        withdraw_form=withdraw_form,
        **_common(invitation),
    ), (422 if withdraw_form.errors else 200)


def withdraw_check(invitation: Invitation, confirmation: Confirmation, withdraw_form):
    """Are you sure? The reason typed so far goes along in the form."""
    return render_template(
        "parents/withdraw_check.html",
        confirmation=confirmation,
        withdraw_form=withdraw_form,
        **_common(invitation),
    )
