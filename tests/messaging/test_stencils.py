"""A launch fills each family's message into a stencil (the template rendered once per
channel and language) instead of rendering it: every message must be exactly the one
`render` gives, for every language, channel and kind of name; a template that does more
with a family's words than insert them is rendered family by family."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from jinja2 import ChoiceLoader, DictLoader

from parentlink.core.filters import and_list
from parentlink.core.i18n import LANGUAGES
from parentlink.directory.models import Channel
from parentlink.messaging.models import MessageKind
from parentlink.messaging.stencils import Stencils
from parentlink.messaging.templates import message_env, render
from tests.builders import school

NAMES = [
    "Sam",
    "Zoë",
    "  Amelia  ",
    'O\'Brien & <Co> "Jo"',
    "{0} {name} %(name)s {{ x }}",
    "Łukasz",
    "Аня",
    "Rahim 😀",
    "Anne\u200bMarie",
    "Jo\tJo\n",
    "\ue0000<&'\"\ue001",  # looks like a stencil's own marker
    "Mary-Jane “MJ” — Smith…",
    "Ng" * 100,
    "",
]
CHILDREN = [["Amelia"], ["Amelia", "Oscar"], ["Zoë", "O'Brien <b>", "Аня"], NAMES[2:6]]
KINDS = {
    MessageKind.INVITE: {},
    MessageKind.REMINDER_1: {"closes_on": "Friday 16 October"},
    MessageKind.REMINDER_3: {"closes_on": "Friday 16 October"},
    MessageKind.NEW_LINK: {},
}


def _carer(n: int, language: str):
    return SimpleNamespace(
        first_name=NAMES[n % len(NAMES)], last_name=NAMES[(n * 5) % len(NAMES)], language=language
    )


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_message_from_a_stencil_is_the_message_render_gives(ctx, kind):
    the_school = school()
    the_school.messages_in_family_language = True
    stencils = Stencils(kind, school=the_school, **KINDS[kind])
    checked = 0
    for language in LANGUAGES:
        for channel in Channel:
            for n in range(len(NAMES)):
                carer = _carer(n, language)
                children = and_list(CHILDREN[n % len(CHILDREN)])
                context = {"school": the_school, "contact": carer, "children": children}
                alone = render(kind, channel, **context, **KINDS[kind])
                assert stencils.render(channel, carer, children) == alone, (language, n)
                checked += 1
    assert checked == len(LANGUAGES) * 2 * len(NAMES)
    assert all(stencils._stencils.values()), "every template of the kind had a stencil"


def test_a_school_writing_in_english_only_uses_english_stencils(ctx):
    the_school = school()
    stencils = Stencils(MessageKind.INVITE, school=the_school)
    polish = _carer(1, "pl")
    sms = stencils.render(Channel.SMS, polish, and_list(["Amelia", "Oscar"]))
    assert sms.body.startswith(
        "Coates Lane Primary: please read and confirm our social media agreement for "
        "Amelia and Oscar: [[link]]"
    )
    assert list(stencils._stencils) == [(Channel.SMS, "en")]


@pytest.fixture
def templates(app, ctx, monkeypatch):
    """Replace some message templates for one test."""
    env = message_env()

    def use(sources: dict[str, str]) -> None:
        monkeypatch.setattr(env, "loader", ChoiceLoader([DictLoader(sources), env.loader]))

    return use


@pytest.mark.parametrize(
    "source",
    [
        "{{ _('%(s)s for %(c)s:', s=school.short_name, c=children|upper) }} {{ link }}",
        "{% if children|length > 12 %}{{ link }}{% else %}{{ children }} {{ link }}{% endif %}",
        "{% for name in children.names %}{{ name }} {% endfor %}{{ link }}",
        "{{ children ~ '!' }} {{ link }}",
        "{% filter upper %}{{ children }}{% endfilter %} {{ link }}",
        "{% set c %}{{ children }}{% endset %}{{ c|lower }} {{ link }}",
        "{% set c = children %}{{ c[:3] }} {{ link }}",
        "{% with label = _('for %(c)s', c=children) %}{{ label|title }}{% endwith %} {{ link }}",
        "{{ _(children) }} {{ link }}",
        "{{ contact['first_name'] }} {{ children }} {{ link }}",
        # cuts or pads the value: only the two renderings with markers show it
        "{{ _('%(c).4s for %(n)12s', c=children, n=contact.first_name) }} {{ link }}",
    ],
)
def test_a_template_that_does_more_than_insert_the_words_is_rendered_family_by_family(
    templates, source
):
    templates({"messages/sms/invite.txt": source})
    the_school = school()
    stencils = Stencils(MessageKind.INVITE, school=the_school)
    for n in range(3):  # names without a "%": `_(children)` would fail for render too
        carer, children = _carer(n, "en"), and_list(CHILDREN[n])
        alone = render(
            MessageKind.INVITE, Channel.SMS, school=the_school, contact=carer, children=children
        )
        assert stencils.render(Channel.SMS, carer, children) == alone
    assert stencils._stencils == {(Channel.SMS, "en"): None}


def test_words_kept_in_a_name_and_inserted_still_make_a_stencil(templates):
    templates(
        {
            "messages/sms/invite.txt": (
                "{% set who = contact.first_name %}{% with label = _('for %(c)s', c=children) %}"
                "{{ who }}: {{ label }}{% endwith %} "
                "{% trans c=children %}again {{ c }}{% endtrans %} {{ link }}"
            )
        }
    )
    the_school = school()
    stencils = Stencils(MessageKind.INVITE, school=the_school)
    carer = _carer(3, "en")
    sms = stencils.render(Channel.SMS, carer, and_list(["Amelia", "Oscar"]))
    assert sms.body == 'O\'Brien & <Co> "Jo": for Amelia and Oscar again Amelia and Oscar [[link]]'
    assert stencils._stencils[(Channel.SMS, "en")] is not None
