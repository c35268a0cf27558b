"""The agreement page for a link that needs no full load (LinkFacts.plain), from pages
rendered once per process (core/page_cache.py).

The page is the same for everyone reading the same version (id and hash) in the same
language, with the same translations, at the same school, except the family's names, the
link token, the CSRF token and the typed name: those are slots, filled in escaped. A form
that came back with errors is kept too, by its answers and errors, unless a question was
typed (then it is rendered for that request only)."""

from __future__ import annotations

from flask import current_app, g, render_template, request
from flask_wtf.csrf import generate_csrf

from parentlink.agreements.models import AgreementVersion, Audience
from parentlink.agreements.queries import frozen_clauses, parent_points, points_of
from parentlink.core.i18n import names_list, page_language
from parentlink.core.page_cache import FilledPage, PageCache, slot
from parentlink.db import db
from parentlink.parents.forms import ConfirmForm, LanguageForm, confirm_form_for
from parentlink.parents.pages import points_html
from parentlink.parents.queries import LinkFacts
from parentlink.schools.models import School

_FRESH = PageCache(size=64)
_POSTED = PageCache(size=256)
_SLOTS = frozenset({"name", "children", "token", "csrf", "typed"})


def posted_form(facts: LinkFacts) -> ConfirmForm:
    """The confirm form as posted, for the points of the link's version."""
    clauses = frozen_clauses(facts.version_id, facts.version_sha256, Audience.PARENTS_CARERS)
    return confirm_form_for(points_of(clauses), posted=True)


def page(facts: LinkFacts, token: str, form: ConfirmForm | None = None) -> tuple[str, int] | None:
    """(html, status) of the agreement page: fresh (form None) or the posted form with its
    errors (422). None if the version is not frozen: the caller renders the page in full."""
    if not facts.version_sha256:
        return None
    key = (
        facts.version_id,
        facts.version_sha256,
        facts.version_label,
        page_language(),
        facts.translations_revision,
        facts.school_id,
        facts.school_name,
        facts.office_phone,
        facts.logo_sha256,
    )
    typed = ""
    if form is None:
        cache, state = _FRESH, ()
    else:
        cache, state = _POSTED, _state(form)
        typed = form.typed_name.data or ""

    def render() -> str:
        return _render(facts, form)

    if state is None:
        filled = FilledPage(render())
        filled = filled if filled.slots == _SLOTS else None
    else:
        filled = cache.get_or_render((*key, state), render, _SLOTS)
    if filled is None:
        return None
    html = filled.fill(
        {
            "name": facts.first_name,
            "children": names_list(facts.children),
            "token": token,
            "csrf": _csrf_token(),
            "typed": typed,
        }
    )
    return html, (422 if form is not None and form.errors else 200)


def _csrf_token() -> str:
    """The token for the page's forms: on a post CSRFProtect has just verified (it sets
    g.csrf_valid), the one the browser sent, signed for this session like a new one and
    valid as long when tokens have no time limit; otherwise a fresh one from Flask-WTF."""
    if g.get("csrf_valid") and current_app.config.get("WTF_CSRF_TIME_LIMIT", 3600) is None:
        posted = request.form.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
        if posted:
            return posted
    return generate_csrf()


def _state(form: ConfirmForm) -> tuple | None:
    """What a posted page shows besides the slots: every error. None if a question was
    typed: that text is the family's own, never kept."""
    if form.question_typed():
        return None
    return tuple(sorted((str(name), tuple(map(str, e))) for name, e in form.errors.items()))


def _render(facts: LinkFacts, form: ConfirmForm | None) -> str:
    """The page with slot markers in place of the per-request values."""
    version = db.session.get(AgreementVersion, facts.version_id)
    school = db.session.get(School, facts.school_id)
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    token, csrf = g.get("parent_token"), g.pop(field, None)
    g.parent_token = slot("token")
    setattr(g, field, slot("csrf"))  # what Flask-WTF's forms put in their hidden field
    points = parent_points(version)
    if form is None:
        form = confirm_form_for(points, posted=False)
    current, typed = form.csrf_token.current_token, form.typed_name.data
    form.csrf_token.current_token, form.typed_name.data = slot("csrf"), slot("typed")
    try:
        return render_template(
            "parents/agreement.html",
            points_html=points_html(version, points, form, {}),
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
        form.csrf_token.current_token, form.typed_name.data = current, typed
        g.parent_token = token
        g.pop(field, None)
        if csrf is not None:
            setattr(g, field, csrf)
