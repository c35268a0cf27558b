"""What the parent pages show: the agreement (with what changed since an earlier
confirmation) and the read-only receipt. Routes decide which; these build the context."""

from __future__ import annotations

from flask import current_app, g, render_template, request
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from parentlink.agreements.diff import diff_versions
from parentlink.agreements.models import AgreementVersion, Audience
from parentlink.agreements.queries import clauses_for
from parentlink.agreements.translations import translation_stamp, translations_for
from parentlink.campaigns.models import Confirmation, Invitation
from parentlink.concerns.queries import concerns_of_contact
from parentlink.core.i18n import names_list
from parentlink.core.page_cache import PageCache, slot
from parentlink.db import db
from parentlink.parents.forms import ConfirmForm, LanguageForm, confirm_form_for
from parentlink.parents.queries import LinkFacts
from parentlink.schools.models import School


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


def _clauses_html(version: AgreementVersion, clauses, form: ConfirmForm, changed: dict) -> Markup:
    """The clause list. A fresh form on a frozen version renders the same for everyone who
    reads it in the same language, so it is rendered once per process and kept."""
    language = str(get_locale())
    translated = translations_for(version.id, language)
    fresh = request.method == "GET" and not form.errors and version.sha256
    key = (
        version.id,
        version.sha256,
        language,
        translation_stamp(translated),
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
        clauses_html=_clauses_html(invitation.campaign.version, clauses, form, changed),
        form=form,
        withdrawn=withdrawn,
        earlier=earlier,
        changes=changes,
        parent_name=invitation.contact.first_name,
        children=names_list(pupil.first_name for pupil in invitation.pupils),
        concerns=bool(concerns_of_contact(invitation.contact_id, limit=1)),
        **_common(invitation),
    ), (422 if form.errors else 200)


_PAGES = PageCache(size=64)
_SLOTS = frozenset({"name", "children", "token", "csrf"})


def plain_agreement(facts: LinkFacts, token: str) -> str | None:
    """The fresh agreement page (facts.plain) from the page cache: rendered once per process
    for each version (id and hash), language, translation stamp and school details, with
    slots for the family's names, the link token and the CSRF token. None if the version
    is not frozen: the caller renders the page in full."""
    if not facts.version_sha256:
        return None
    language = str(get_locale())
    key = (
        facts.version_id,
        facts.version_sha256,
        facts.version_label,
        language,
        facts.translation_stamp,
        facts.school_id,
        facts.school_name,
        facts.office_phone,
    )
    page = _PAGES.get_or_render(key, lambda: _render_plain(facts), _SLOTS)
    if page is None:
        return None
    return page.fill(
        {
            "name": facts.first_name,
            "children": names_list(facts.children),
            "token": token,
            "csrf": generate_csrf(),
        }
    )


def _render_plain(facts: LinkFacts) -> str:
    """The page with slot markers in place of the per-family values (see plain_agreement)."""
    version = db.session.get(AgreementVersion, facts.version_id)
    school = db.session.get(School, facts.school_id)
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    token, csrf = g.get("parent_token"), g.pop(field, None)
    g.parent_token = slot("token")
    setattr(g, field, slot("csrf"))  # what Flask-WTF's forms put in their hidden field
    try:
        clauses = clauses_for(version, Audience.PARENTS_CARERS)
        form = confirm_form_for(clauses, posted=False)
        return render_template(
            "parents/agreement.html",
            clauses_html=_clauses_html(version, clauses, form, {}),
            form=form,
            withdrawn=None,
            earlier=None,
            changes=None,
            parent_name=slot("name"),
            children=slot("children"),
            concerns=False,
            invitation=None,
            school=school,
            version=version,
            language_form=LanguageForm(formdata=None),
        )
    finally:
        g.parent_token = token
        g.pop(field, None)
        if csrf is not None:
            setattr(g, field, csrf)


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
