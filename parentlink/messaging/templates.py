"""Message templates (templates/messages/): which placeholders each kind may use, checks
that run before anything is sent, and rendering.

Every kind lists the placeholders it offers and the ones its text must use (an invitation
without its link is useless). A template that uses a placeholder its kind does not offer,
forgets a required one, or reaches for an attribute that is not there (an SMS asking for
`contact.last_name`: first names only in SMS) is an error when it is checked (at start-up
in tests, when an edited template is saved, when a campaign is previewed), never a
message that goes out with a gap in it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import NamedTuple

from babel.dates import format_date, get_date_format
from babel.lists import format_list
from flask import current_app
from flask_babel import force_locale, get_locale, gettext
from jinja2 import Environment, StrictUndefined, TemplateError, meta

from parentlink.core.filters import NameList
from parentlink.core.i18n import DEFAULT_LANGUAGE, LANGUAGES, supported
from parentlink.directory.models import Channel
from parentlink.messaging.models import LINK_PLACEHOLDER, MessageKind
from parentlink.messaging.sms import normalise
from parentlink.schools.logo import email_logo

_K = MessageKind
_PARENT = frozenset({"school", "contact", "children", "link", "one_way"})
PLACEHOLDERS: dict[MessageKind, frozenset[str]] = {
    _K.INVITE: _PARENT,
    _K.REMINDER_1: _PARENT | {"closes_on"},
    _K.REMINDER_2: _PARENT | {"closes_on"},
    _K.REMINDER_3: _PARENT | {"closes_on"},
    _K.RECEIPT: _PARENT | {"reference", "has_questions"},
    _K.NEW_LINK: _PARENT,
    _K.CONCERN_ACK: frozenset({"school", "contact", "reference", "one_way"}),
    _K.DSL_ALERT: frozenset({"school", "link", "reference", "count", "one_way"}),
    _K.CONCERN_ESCALATION: frozenset({"school", "link", "reference", "reported", "one_way"}),
    _K.CONCERN_DIGEST: frozenset({"school", "link", "rows", "today", "one_way"}),
    _K.ROUND_NOTICE: frozenset({"school", "round", "audience_text", "link", "one_way"}),
    _K.TEST: frozenset({"school", "staff", "one_way"}),
    _K.STAFF_INVITE: frozenset({"school", "staff", "link", "valid_hours", "one_way"}),
    _K.QUESTION_REPLY: frozenset({"school", "contact", "point", "reply", "link", "one_way"}),
    # the answer to a texted HELP (inbound.py writes it, as for Twilio's reply)
    _K.HELP_REPLY: frozenset({"school", "reply", "one_way"}),
}
REQUIRED: dict[MessageKind, frozenset[str]] = {
    _K.INVITE: frozenset({"link", "children"}),
    _K.REMINDER_1: frozenset({"link", "children", "closes_on"}),
    _K.REMINDER_2: frozenset({"link", "children"}),
    _K.REMINDER_3: frozenset({"link", "children", "closes_on"}),
    _K.RECEIPT: frozenset({"link", "reference"}),
    _K.NEW_LINK: frozenset({"link"}),
    _K.CONCERN_ACK: frozenset({"reference"}),
    _K.DSL_ALERT: frozenset({"link", "reference"}),
    _K.CONCERN_ESCALATION: frozenset({"link", "reference"}),
    _K.CONCERN_DIGEST: frozenset({"link", "rows"}),
    _K.ROUND_NOTICE: frozenset({"round"}),
    _K.TEST: frozenset({"school"}),
    _K.STAFF_INVITE: frozenset({"link"}),
    _K.QUESTION_REPLY: frozenset({"reply"}),
    _K.HELP_REPLY: frozenset({"reply"}),
}


def N_(message: str) -> str:  # noqa: N802 — marks a message for pybabel extract
    return message


# Translated when rendered, in the family's language (family subjects only are marked).
SUBJECTS = {
    _K.INVITE: N_("Please confirm our social media agreement"),
    _K.REMINDER_1: N_("Reminder: please confirm our social media agreement"),
    _K.REMINDER_2: N_("We have not had your answer yet"),
    _K.REMINDER_3: N_("Last reminder: our social media agreement"),
    _K.RECEIPT: N_("Thank you: your confirmation"),
    _K.NEW_LINK: N_("Your new link"),
    _K.CONCERN_ACK: N_("We have received your report"),
    _K.DSL_ALERT: "A new concern has been reported",
    _K.TEST: "ParentLink test message",
    _K.STAFF_INVITE: "Your ParentLink account: choose your password",
    _K.CONCERN_ESCALATION: "A concern has not been acknowledged",
    _K.CONCERN_DIGEST: "Open concerns today",
    _K.ROUND_NOTICE: "ParentLink: a termly round is about to start",
    _K.QUESTION_REPLY: "The school's answer to your question",
    _K.HELP_REPLY: "ParentLink: help",
}
# What a check renders with: every attribute a template may use, and no more.
SAMPLE = {
    "school": SimpleNamespace(
        name="Coates Lane Primary School",
        short_name="Coates Lane Primary",
        office_phone="01632 960123",
        office_email="office@example.com",
        round_open_days=21,
    ),
    "contact": SimpleNamespace(first_name="Sam", last_name="Example"),
    "children": "Amelia and Oscar",
    "link": LINK_PLACEHOLDER,
    "one_way": True,
    "closes_on": date(2026, 10, 16),
    "reference": "PL-ABC234",
    "has_questions": True,
    "count": 3,
    "reported": datetime(2026, 11, 20, 16, 0, tzinfo=UTC),
    "today": date(2026, 11, 23),
    "rows": [("C-7K3M9Q", "new", 3)],
    "round": SimpleNamespace(id=7, term_name="Spring 2027", starts_on=date(2027, 1, 8)),
    "audience_text": "every family",
    "staff": SimpleNamespace(first_name="Sam"),
    "valid_hours": 72,
    "point": "We share photos of children only with permission.",
    "reply": "Yes, class WhatsApp groups are fine; please do not share photos of others.",
}


# Family placeholders that are days: given as dates, written in the message's language.
DAYS = ("closes_on",)
_YEAR = re.compile(r"[\s,،]*(?:'de'\s*)?y+[\s.,،]*$")


def day_in(day: date, language: str) -> str:
    """A day as the language writes a full date, without the year: "Friday 16 October",
    "piątek, 16 października", "sexta-feira, 16 de outubro", "الجمعة، 16 أكتوبر"."""
    if language == DEFAULT_LANGUAGE:
        return format_date(day, "EEEE d MMMM", locale="en_GB")  # as the school writes it
    locale = language
    pattern = _YEAR.sub("", get_date_format("full", locale=locale).pattern)
    if "y" in pattern.replace("'de'", ""):  # a locale that puts the year first
        pattern = "EEEE d MMMM"
    return format_date(day, pattern, locale=locale)


class TemplateProblem(ValueError):
    """A message template that must not be used as it is; the message says what to fix."""


class Rendered(NamedTuple):  # a tuple: a launch makes 10,000 of them
    body: str
    subject: str | None = None
    html: str | None = None
    language: str | None = None  # the language it is written in (render, Stencils)


def template_names(kind: MessageKind, channel: Channel) -> list[str]:
    if channel is Channel.SMS:
        return [f"messages/sms/{kind.value}.txt"]
    return [f"messages/email/{kind.value}.txt", f"messages/email/{kind.value}.html"]


def check_source(kind: MessageKind, channel: Channel, name: str, source: str) -> None:
    """Check one template's text (for an editor's Save, or a file on disk)."""
    env = message_env()
    try:
        parsed = env.parse(source)
    except TemplateError as exc:
        raise TemplateProblem(f"{name}: {exc}") from exc
    allowed = PLACEHOLDERS.get(kind, frozenset(SAMPLE))
    used = meta.find_undeclared_variables(parsed) - set(env.globals)
    unknown = sorted(used - allowed)
    if unknown:
        raise TemplateProblem(
            f"{name}: unknown placeholder {', '.join(unknown)} "
            f"(this message can use: {', '.join(sorted(allowed))})"
        )
    missing = sorted(REQUIRED.get(kind, frozenset()) - used - _used_by_includes(env, parsed))
    if missing:
        raise TemplateProblem(f"{name}: missing placeholder {', '.join(missing)}")
    try:
        env.from_string(source).render(**_view(channel, dict(SAMPLE)))
    except TemplateError as exc:
        what = str(exc)
        if channel is Channel.SMS and "has no attribute" in what:
            what += " (SMS use first names only: contact.first_name)"
        raise TemplateProblem(f"{name}: {what}") from exc


def check_templates() -> None:
    """Check every kind's templates on disk; raises TemplateProblem on the first problem.
    Sources that passed are not checked again in this process (every launch asks): the
    checks depend only on the message templates' sources and the locale."""
    env = current_app.jinja_env
    sources = tuple(
        (name, env.loader.get_source(env, name)[0])
        for name in sorted(env.loader.list_templates())
        if name.startswith("messages/")
    )
    passed = (str(get_locale()), sources)
    if current_app.extensions.get("parentlink.templates_passed") == passed:
        return
    for kind in PLACEHOLDERS:
        for channel in Channel:
            for name in template_names(kind, channel):
                source, _, _ = env.loader.get_source(env, name)
                check_source(kind, channel, name, source)
    current_app.extensions["parentlink.templates_passed"] = passed


def family_language(context: dict) -> str:
    """The language a family's message is written in: the contact's own when their school
    sends messages in each family's language, else English."""
    school, contact = context.get("school"), context.get("contact")
    if not getattr(school, "messages_in_family_language", False):
        return DEFAULT_LANGUAGE
    return supported(getattr(contact, "language", None)) or DEFAULT_LANGUAGE


def render(kind: MessageKind, channel: Channel, **context: object) -> Rendered:
    """The message for one recipient, in the family's language (family_language). A text
    the SMS gateway would garble in that language (GOV.UK Notify cannot send Urdu, Arabic or
    Bengali letters: they arrive as "?") is written in English instead; the family's page
    still opens in their language. A missing value raises TemplateProblem."""
    language = family_language(context)
    rendered = _render_in(language, kind, channel, context)
    if language != DEFAULT_LANGUAGE and sms_in_english_instead(channel, rendered.body):
        return _render_in(DEFAULT_LANGUAGE, kind, channel, context)
    return rendered


def sms_in_english_instead(channel: Channel, body: str) -> bool:
    from parentlink.messaging.sms_rules import garbled_by_provider

    return channel is Channel.SMS and garbled_by_provider(body)


def _render_in(language: str, kind: MessageKind, channel: Channel, context: dict) -> Rendered:
    with force_locale(language):
        done = finish(channel, render_raw(kind, channel, language, dict(context)))
    return done._replace(language=language)


def render_raw(kind: MessageKind, channel: Channel, language: str, context: dict) -> Rendered:
    """The templates' output as it comes, before `finish` (in `language`'s locale)."""
    context.setdefault("link", LINK_PLACEHOLDER)
    context.setdefault("one_way", sms_is_one_way(context.get("school")))
    if "children" in context:
        context["children"] = children_in(language, context["children"])
    for name in DAYS:
        if isinstance(context.get(name), date):
            context[name] = day_in(context[name], language)
    context.setdefault("message_lang", language)
    context.setdefault("message_dir", LANGUAGES[language].direction)
    env = message_env()
    view = _view(channel, context)
    try:
        if channel is Channel.SMS:
            (name,) = template_names(kind, channel)
            return Rendered(body=env.get_template(name).render(**view))
        text_name, html_name = template_names(kind, channel)
        view.setdefault("logo", email_logo(context.get("school")))
        return Rendered(
            body=env.get_template(text_name).render(**view),
            subject=gettext(SUBJECTS.get(kind, "A message from school")),
            html=env.get_template(html_name).render(**view),
        )
    except TemplateError as exc:
        raise TemplateProblem(f"{kind.value} {channel.value}: {exc}") from exc


def finish(channel: Channel, raw: Rendered) -> Rendered:
    """An SMS on one line in GSM-7 where it can be; an email's text trimmed."""
    if channel is Channel.SMS:
        return Rendered(body=normalise(" ".join(raw.body.split())))
    return Rendered(body=raw.body.strip() + "\n", subject=raw.subject, html=raw.html)


def children_in(language: str, children):
    """The children's names as a message in `language` lists them (a NameList remembers
    the names; other values are used as they are)."""
    if language != DEFAULT_LANGUAGE and isinstance(children, NameList):
        return format_list(list(children.names), locale=language)
    return children


def sms_is_one_way(school=None) -> bool:
    """An alphanumeric sender ID cannot receive replies; a number (or service) can. The
    sender is the school's own (settings page), else the deployment's."""
    from parentlink.schools.sending import sender_takes_replies, sms_sender

    return not sender_takes_replies(sms_sender(school))


def _view(channel: Channel, context: dict) -> dict:
    """For SMS, the people in the context shrink to their first names."""
    if channel is not Channel.SMS:
        return context
    view = dict(context)
    if "contact" in view:
        view["contact"] = SimpleNamespace(first_name=view["contact"].first_name)
    if "school" in view:
        school = view["school"]
        view["school"] = SimpleNamespace(
            name=school.name, short_name=school.short_name, office_phone=school.office_phone
        )
    return view


def _used_by_includes(env: Environment, parsed) -> set[str]:
    used: set[str] = set()
    for name in meta.find_referenced_templates(parsed):
        if name:
            source, _, _ = env.loader.get_source(env, name)
            used |= meta.find_undeclared_variables(env.parse(source))
    return used


def message_env() -> Environment:
    env = current_app.extensions.get("parentlink.message_env")
    if env is None:
        env = current_app.jinja_env.overlay(undefined=StrictUndefined)
        current_app.extensions["parentlink.message_env"] = env
    return env
