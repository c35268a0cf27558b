"""What a campaign's invitations will look like, and cost, before anything is sent.

The work is bounded whatever the size of the school. The families a launch would ask are
grouped in SQL by what can change the length of their SMS: the channel, the number of
children, the total length of the children's first names and the length of the carer's
first name. Where every one of those names is plain (letters A-Z, digits, single spaces,
full stops, hyphens, apostrophes: GSM-7 characters of one unit each), all the families of
a group get an SMS of
the same length, so one rendering per group gives the exact segments of each of them.
Families with any other character in a name (an accent, another alphabet) are rendered one
by one, up to `UNUSUAL_CAP`; past that, the preview says how many it has not checked, and
the launch, which renders every message anyway, refuses if any of them is over the limit.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace

from flask import current_app
from sqlalchemy import Select, and_, case, func, literal, select

from parentlink.core.filters import and_list
from parentlink.core.i18n import DEFAULT_LANGUAGE, LANGUAGES, english_plural, supported
from parentlink.db import db
from parentlink.directory.models import Channel, Contact, Pupil, PupilContact, can_email, can_text
from parentlink.messaging.allowance import Allowance, allowance_for
from parentlink.messaging.models import MessageKind
from parentlink.messaging.outbox import sms_with_link
from parentlink.messaging.sms import Segments
from parentlink.messaging.sms_rules import count_sms
from parentlink.messaging.templates import check_templates, family_language, render
from parentlink.schools.models import School
from parentlink.schools.sending import price_per_segment, sms_through_notify

PLAIN_NAME = r"^[A-Za-z0-9.'-]+( [A-Za-z0-9.'-]+)*$"
UNUSUAL_CAP = 2000  # families with accented or other names rendered one by one
EXAMPLES = 5  # recipients over the limit named on the page


@dataclass(frozen=True)
class Sample:
    """One family's message as it will arrive (with a link of the real length)."""

    contact_id: int
    carer: str
    children: str
    channel: Channel
    text: str
    subject: str | None = None  # email only
    segments: Segments | None = None  # SMS only
    language: str = "en"  # the family's language (the line of the preview it is counted in)
    written_in: str = "en"  # the language of the text: English where Notify cannot send it


@dataclass
class LanguageLine:
    """The text messages in one language (when the school sends in each family's language):
    how many, a real one, its encoding and segments, and what they all cost."""

    code: str
    name: str
    sms: int = 0
    segments: int = 0  # in all
    sample: Sample | None = None
    price_per_segment: Decimal = Decimal(0)

    @property
    def cost(self) -> Decimal:
        return (self.price_per_segment * self.segments).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )


@dataclass
class CampaignPreview:
    segment_limit: int
    price_per_segment: Decimal
    currency: str
    sms: int = 0
    emails: int = 0
    unreachable: int = 0
    segments_histogram: dict[int, int] = field(default_factory=dict)  # {segments: SMS}
    sms_sample: Sample | None = None
    email_sample: Sample | None = None
    over_limit: int = 0  # SMS longer than the school's limit, or that the provider refuses
    over_limit_examples: list[Sample] = field(default_factory=list)
    unchecked: int = 0  # SMS to families with unusual names past UNUSUAL_CAP
    languages: list[LanguageLine] = field(default_factory=list)  # in each family's language
    allowance: Allowance | None = None  # GOV.UK Notify's free texts left, when it sends SMS

    @property
    def recipients(self) -> int:
        return self.sms + self.emails

    @property
    def total_segments(self) -> int:
        return sum(size * n for size, n in self.segments_histogram.items())

    @property
    def estimated_cost(self) -> Decimal:
        return self.cost_of(self.total_segments)

    @property
    def free_segments(self) -> int:
        """Of this campaign's segments, those inside Notify's free allowance."""
        if self.allowance is None:
            return 0
        return self.total_segments - self.allowance.charged(self.total_segments)

    def cost_of(self, segments: int, after: int = 0) -> Decimal:
        """`segments` more, when `after` segments go before them (Notify's allowance is
        used first)."""
        if self.allowance is not None:
            return self.allowance.cost(segments, after)
        cost = self.price_per_segment * segments
        return cost.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    @property
    def can_launch(self) -> bool:
        return self.over_limit == 0


def _channel_expression():
    """Contact.best_channel() in SQL: the preferred channel if usable, else the other."""
    sms_ok, email_ok = can_text(), can_email()
    return case(
        (and_(Contact.preferred_channel == Channel.SMS, sms_ok), literal("sms")),
        (and_(Contact.preferred_channel == Channel.EMAIL, email_ok), literal("email")),
        (sms_ok, literal("sms")),
        (email_ok, literal("email")),
        else_=literal("none"),
    )


def _families(school_id: int, pupils_wanted: Select | None, pairs=None, by_language: bool = False):
    """One row per family a launch would ask: its channel, the shape of its names and (when
    the school writes in each family's language) its language."""
    conditions = [
        PupilContact.school_id == school_id,
        PupilContact.parental_responsibility.is_(True),
        PupilContact.court_order_restriction.is_(False),
        Pupil.left_on.is_(None),
    ]
    if pupils_wanted is not None:
        conditions.append(Pupil.id.in_(pupils_wanted))
    if pairs is not None:  # pupil-carer links left out (campaigns/one_link.py)
        conditions.append(pairs)
    children = (
        select(
            PupilContact.contact_id.label("contact_id"),
            func.count(Pupil.id).label("children"),
            func.sum(func.length(Pupil.first_name)).label("name_chars"),
            func.max(case((Pupil.first_name.regexp_match(PLAIN_NAME), 0), else_=1)).label(
                "unusual"
            ),
        )
        .join(Pupil, Pupil.id == PupilContact.pupil_id)
        .where(*conditions)
        .group_by(PupilContact.contact_id)
        .subquery()
    )
    unusual = case(
        (and_(children.c.unusual == 0, Contact.first_name.regexp_match(PLAIN_NAME)), 0),
        else_=1,
    )
    return (
        select(
            _channel_expression().label("channel"),
            unusual.label("unusual"),
            children.c.children,
            children.c.name_chars,
            func.length(Contact.first_name).label("carer_chars"),
            Contact.id.label("contact_id"),
            (
                func.coalesce(Contact.language, literal(DEFAULT_LANGUAGE))
                if by_language
                else literal(DEFAULT_LANGUAGE)
            ).label("language"),
        )
        .join(children, children.c.contact_id == Contact.id)
        .subquery()
    )


def _render(school: School, kind: MessageKind, channel: Channel, contact, names) -> Sample:
    context = {"school": school, "contact": contact, "children": and_list(names)}
    language = family_language(context)
    rendered = render(kind, channel, **context)
    if channel is Channel.SMS:
        text = sms_with_link(rendered.body)
        return Sample(
            getattr(contact, "id", 0),
            f"{contact.first_name} {contact.last_name}",
            and_list(names),
            channel,
            text,
            segments=count_sms(text),
            language=language,
            written_in=rendered.language or language,
        )
    return Sample(
        contact.id,
        f"{contact.first_name} {contact.last_name}",
        and_list(names),
        channel,
        sms_with_link(rendered.body),
        subject=rendered.subject,
        language=language,
        written_in=rendered.language or language,
    )


def _real(
    school: School, kind: MessageKind, ids: list[int], pupils_wanted, pairs=None
) -> list[Sample]:
    """The messages of these families, rendered from their real names."""
    from parentlink.campaigns.services import eligible_families  # campaigns imports us

    samples = []
    for start in range(0, len(ids), 500):
        families = eligible_families(
            school.id, pupils_wanted, contact_ids=ids[start : start + 500], pairs=pairs
        )
        for contact, pupils in families.items():
            channel = contact.best_channel()
            if channel is not None:
                names = [p.first_name for p in pupils]
                samples.append(_render(school, kind, channel, contact, names))
    return samples


def preview_invitations(
    school: School,
    kind: MessageKind = MessageKind.INVITE,
    pupils_wanted: Select | None = None,
    pairs=None,
) -> CampaignPreview:
    """Render `kind` for everyone a launch (narrowed by `pupils_wanted`) would invite.
    Raises TemplateProblem first if any message template is broken."""
    check_templates()
    preview = CampaignPreview(
        segment_limit=school.sms_segment_limit,
        price_per_segment=price_per_segment(school),
        currency=current_app.config["SMS_PRICE_CURRENCY"],
        allowance=allowance_for(school) if sms_through_notify() else None,
    )
    by_language = bool(school.messages_in_family_language)
    families = _families(school.id, pupils_wanted, pairs, by_language)
    groups = db.session.execute(
        select(
            families.c.channel,
            families.c.unusual,
            families.c.children,
            families.c.name_chars,
            families.c.carer_chars,
            func.count(),
            func.min(families.c.contact_id),
            families.c.language,
        ).group_by(
            families.c.channel,
            families.c.unusual,
            families.c.children,
            families.c.name_chars,
            families.c.carer_chars,
            families.c.language,
        )
    ).all()
    histogram: Counter[int] = Counter()
    first = {"sms": None, "email": None}
    over_ids: list[int] = []
    lines = _Lines(preview.price_per_segment)
    for channel, unusual, children, name_chars, carer_chars, n, first_id, language in groups:
        if channel == "none":
            preview.unreachable += n
            continue
        first[channel] = min(first_id, first[channel] or first_id)
        if channel == "email":
            preview.emails += n
            continue
        preview.sms += n
        if unusual:
            continue  # rendered one by one below
        names = ["x" * (name_chars - children + 1)] + ["x"] * (children - 1)
        carer = SimpleNamespace(first_name="x" * carer_chars, last_name="", language=language)
        segments = _render(school, kind, Channel.SMS, carer, names).segments
        size = segments.count
        histogram[size] += n
        lines.add(language, n, size, first_id)
        if segments.refusal(school.sms_segment_limit):
            preview.over_limit += n
            over_ids.append(first_id)
    unusual_ids = list(
        db.session.scalars(
            select(families.c.contact_id)
            .where(families.c.channel == "sms", families.c.unusual == 1)
            .order_by(families.c.contact_id)
            .limit(UNUSUAL_CAP + 1)
        )
    )
    unusual_total = sum(n for c, u, *_rest, n, _id, _lang in groups if c == "sms" and u)
    for sample in _real(school, kind, unusual_ids[:UNUSUAL_CAP], pupils_wanted, pairs):
        histogram[sample.segments.count] += 1
        lines.add(sample.language, 1, sample.segments.count, sample.contact_id)
        if sample.segments.refusal(school.sms_segment_limit):
            preview.over_limit += 1
            if len(preview.over_limit_examples) < EXAMPLES:
                preview.over_limit_examples.append(sample)
    preview.unchecked = max(0, unusual_total - UNUSUAL_CAP)
    room = EXAMPLES - len(preview.over_limit_examples)
    if room > 0 and over_ids:
        preview.over_limit_examples += _real(
            school, kind, sorted(over_ids)[:room], pupils_wanted, pairs
        )
    preview.segments_histogram = dict(sorted(histogram.items()))
    for channel in ("sms", "email"):
        if first[channel] is not None:
            (sample,) = _real(school, kind, [first[channel]], pupils_wanted, pairs)
            setattr(preview, f"{channel}_sample", sample)
    if by_language:
        preview.languages = lines.finish(school, kind, pupils_wanted, pairs)
    return preview


class _Lines:
    """Text messages per language, each with a real family's message as its sample."""

    def __init__(self, price: Decimal) -> None:
        self.price = price
        self.lines: dict[str, LanguageLine] = {}
        self.first: dict[str, int] = {}

    def add(self, language: str | None, n: int, size: int, contact_id: int) -> None:
        code = supported(language) or DEFAULT_LANGUAGE
        line = self.lines.setdefault(
            code, LanguageLine(code, LANGUAGES[code].name, price_per_segment=self.price)
        )
        line.sms += n
        line.segments += n * size
        self.first[code] = min(contact_id, self.first.get(code, contact_id))

    def finish(
        self, school: School, kind: MessageKind, pupils_wanted, pairs=None
    ) -> list[LanguageLine]:
        for code, line in self.lines.items():
            samples = _real(school, kind, [self.first[code]], pupils_wanted, pairs)
            line.sample = samples[0] if samples else None
        return [self.lines[code] for code in LANGUAGES if code in self.lines]


def segment_limit_problem(preview: CampaignPreview) -> str | None:
    """Why a launch must wait (SMS over the school's segment limit, or that the provider
    would refuse or garble), or None."""
    if preview.can_launch:
        return None
    return (
        english_plural(
            "%(num)d text message cannot be sent as it is",
            "%(num)d text messages cannot be sent as they are",
            preview.over_limit,
        )
        + " (examples below: longer than the school's limit of "
        + english_plural("%(num)d segment", "%(num)d segments", preview.segment_limit)
        + ", or refused by the provider). Shorten the names in the MIS, or ask these "
        "families by email or on paper, then try again"
    )
