"""Messages for thousands of families at once: a campaign's launch.

`templates.render` costs about half a millisecond a message (Jinja, gettext, Babel): seconds
for a whole school. A stencil is a kind's templates rendered once per channel and language
with markers where a family's own words go (the carer's first and last name, the children's
names); a family's message is the stencil with its words put in, escaped where the template
escaped them, then finished as `render` finishes it (`templates.finish`). That is exactly
`render`'s message when the templates only ever insert those words as they are, which two
checks make sure of before a stencil is used:

- the templates (with every template they extend, include or import) use the words only as
  an output (`{{ children }}`, `{{ contact.first_name }}`) or as a keyword of `_()` or
  `gettext()` (the `{% trans %}` tag is one) whose result is output or kept in a name used
  in the same way; never in a filter, a test, a condition, a loop, a macro, or a filter,
  set or call block;
- two renderings with markers of different lengths leave the same fixed text and every
  marker whole (a translation that pads or cuts a value, `%(name)10s`, fails this).

For a template that fails either, each family's message is rendered by `render`.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

from flask_babel import force_locale
from jinja2 import TemplateError, nodes
from markupsafe import escape

from parentlink.core.i18n import DEFAULT_LANGUAGE
from parentlink.directory.models import Channel
from parentlink.messaging.models import MessageKind
from parentlink.messaging.templates import (
    Rendered,
    TemplateProblem,
    children_in,
    family_language,
    finish,
    message_env,
    render,
    render_raw,
    sms_in_english_instead,
    template_names,
)

_WORDS = ("first_name", "last_name", "children")  # a family's own words, in this order
_PROBE = "<&'\""  # shows whether the template escaped the value
_MARKER = re.compile(
    "\ue000([012])(" + re.escape(_PROBE) + "|" + re.escape(str(escape(_PROBE))) + ")(x*)\ue001"
)
_GETTEXT = ("_", "gettext")
_UNKNOWN = object()
# Blocks an output of a family's words may sit in: each passes the words on as they are.
_PLAIN = (
    nodes.Template,
    nodes.Block,
    nodes.If,
    nodes.For,
    nodes.With,
    nodes.Scope,
    nodes.ScopedEvalContextModifier,
    nodes.EvalContextModifier,
)


class Stencils:
    """One kind of message for many families; `context` holds what every family shares
    (the school, the closing date...), each family brings its carer and children."""

    def __init__(self, kind: MessageKind, **context: object) -> None:
        self.kind = kind
        self.context = context
        self._stencils: dict[tuple[Channel, str], _Stencil | None] = {}
        self._languages: dict[str | None, str] = {}

    def render(self, channel: Channel, contact, children) -> Rendered:
        """Exactly `render(kind, channel, contact=contact, children=children, **context)`.
        `contact` is anything with first_name, last_name and language."""
        language = self._languages.get(contact.language)
        if language is None:  # what family_language makes of this contact's language
            language = family_language({"school": self.context.get("school"), "contact": contact})
            self._languages[contact.language] = language
        stencil = self._stencils.get((channel, language), _UNKNOWN)
        if stencil is _UNKNOWN:
            stencil = self._stencils[(channel, language)] = self._stencil(channel, language)
        if stencil is None:
            return render(self.kind, channel, contact=contact, children=children, **self.context)
        words = [contact.first_name, contact.last_name, children_in(language, children)]
        done = finish(channel, stencil.fill(words))._replace(language=language)
        if language != DEFAULT_LANGUAGE and sms_in_english_instead(channel, done.body):
            return render(self.kind, channel, contact=contact, children=children, **self.context)
        return done

    def _stencil(self, channel: Channel, language: str) -> _Stencil | None:
        if not _inserts_only(template_names(self.kind, channel)):
            return None
        try:
            short, long = (self._render_marked(channel, language, pad) for pad in (0, 9))
        except (TemplateError, TemplateProblem):
            return None  # `render` says what is wrong, family by family
        body = _split(short.body, long.body, 9)
        html = None if short.html is None else _split(short.html, long.html or "", 9)
        if body is None or (short.html is not None and html is None):
            return None
        return _Stencil(body, html, short.subject)

    def _render_marked(self, channel: Channel, language: str, pad: int) -> Rendered:
        first, last, children = (f"\ue000{i}{_PROBE}{'x' * pad}\ue001" for i in range(3))
        contact = SimpleNamespace(first_name=first, last_name=last, language=language)
        context = {**self.context, "contact": contact, "children": children}
        with force_locale(language):
            return render_raw(self.kind, channel, language, context)


class _Stencil:
    """Formats (str.format) with {0}..{2} for the words as they are, {3}..{5} escaped."""

    def __init__(self, body: str, html: str | None, subject: str | None) -> None:
        self.body, self.html, self.subject = body, html, subject
        self.escaped = [i for i in range(3) if f"{{{i + 3}}}" in body + (html or "")]

    def fill(self, words: list) -> Rendered:
        """`words` (first name, last name, children) put in: str() of each, as Jinja's."""
        if self.escaped:
            words += ["", "", ""]
            for i in self.escaped:
                words[i + 3] = escape(words[i])
        html = self.html.format(*words) if self.html is not None else None
        return Rendered(self.body.format(*words), self.subject, html)


def _split(short: str, long: str, pad: int) -> str | None:
    """The stencil's format string, if both renderings agree and every marker is whole."""
    pieces = [_MARKER.split(short), _MARKER.split(long)]
    fixed = [p[0::4] for p in pieces]
    if fixed[0] != fixed[1] or any("\ue000" in f or "\ue001" in f for f in fixed[0]):
        return None
    slots = []
    for (i, probe, xs), (j, probe_long, xs_long) in zip(
        _triples(pieces[0]), _triples(pieces[1]), strict=True
    ):
        if (i, probe) != (j, probe_long) or xs or len(xs_long) != pad:
            return None
        slots.append(int(i) + (3 if probe != _PROBE else 0))
    parts = [fixed[0][0].replace("{", "{{").replace("}", "}}")]
    for slot, text in zip(slots, fixed[0][1:], strict=True):
        parts.append(f"{{{slot}}}" + text.replace("{", "{{").replace("}", "}}"))
    return "".join(parts)


def _triples(pieces: list[str]):
    return zip(pieces[1::4], pieces[2::4], pieces[3::4], strict=True)


def _inserts_only(names: list[str]) -> bool:
    """Whether these templates, and all they extend, include or import, use a family's
    words only by inserting them (the module's first check)."""
    env = message_env()
    trees, queue, seen = [], list(names), set()
    while queue:
        name = queue.pop()
        if name in seen:
            continue
        seen.add(name)
        source, _, _ = env.loader.get_source(env, name)
        tree = env.parse(source)
        trees.append(tree)
        for node in tree.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
            included = getattr(node.template, "value", None)  # a Const's
            if not (isinstance(node.template, nodes.Const) and isinstance(included, str)):
                return False
            queue.append(included)
    words, known = {"contact", "children"}, set()
    while words != known:  # names bound to the words are words too
        known = set(words)
        for tree in trees:
            if not _walk(tree, [], words):
                return False
    return True


def _walk(node: nodes.Node, above: list[nodes.Node], words: set[str]) -> bool:
    word = isinstance(node, nodes.Name) and node.ctx == "load" and node.name in words
    if word and not _inserted(node, list(above), words):
        return False
    above.append(node)
    try:
        return all(_walk(child, above, words) for child in node.iter_child_nodes())
    finally:
        above.pop()


def _inserted(name: nodes.Name, above: list[nodes.Node], words: set[str]) -> bool:
    """`name` (one of the words) reaches the output unchanged; a name it is bound to is
    added to `words`."""
    carrier: nodes.Node = name
    if name.name == "contact":
        parent = above.pop()
        if not (isinstance(parent, nodes.Getattr) and parent.attr in _WORDS[:2]):
            return False
        carrier = parent
    while True:
        parent = above.pop()
        if isinstance(parent, nodes.Keyword) and parent.value is carrier:
            call = above.pop()
            if not (
                isinstance(call, nodes.Call)
                and isinstance(call.node, nodes.Name)
                and call.node.name in _GETTEXT
                and all(isinstance(arg, nodes.Const) for arg in call.args)
                and call.dyn_args is None
                and call.dyn_kwargs is None
            ):
                return False
            carrier = call
            continue
        if isinstance(parent, nodes.Output):
            return all(isinstance(block, _PLAIN) for block in above)
        if isinstance(parent, nodes.With | nodes.Assign):
            values = parent.values if isinstance(parent, nodes.With) else [parent.node]
            targets = parent.targets if isinstance(parent, nodes.With) else [parent.target]
            for value, target in zip(values, targets, strict=True):
                if value is carrier:
                    if not isinstance(target, nodes.Name):
                        return False
                    words.add(target.name)
                    return all(isinstance(block, _PLAIN) for block in above)
        return False
