"""What a campaign's invitations will look like, and cost, before anything is sent.

`preview_invitations(school)` renders the invitation for every family a launch would ask,
with a link of the real length, and counts the SMS segments each one will be billed for.
A launch is refused while any SMS is longer than the school's segment limit.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app

from parentlink.core.filters import and_list
from parentlink.directory.models import Channel
from parentlink.messaging.models import MessageKind
from parentlink.messaging.outbox import sms_with_link
from parentlink.messaging.sms import Segments, count_segments
from parentlink.messaging.templates import check_templates, render
from parentlink.schools.models import School
from parentlink.schools.sending import price_per_segment


@dataclass(frozen=True)
class RecipientPreview:
    contact_id: int
    first_name: str
    channel: Channel
    text: str  # the SMS as it will arrive (with an example link), or the email's text
    segments: Segments | None  # SMS only


@dataclass
class CampaignPreview:
    segment_limit: int
    price_per_segment: Decimal
    currency: str
    recipients: list[RecipientPreview] = field(default_factory=list)
    unreachable: list[int] = field(default_factory=list)  # contact ids

    @property
    def sms(self) -> list[RecipientPreview]:
        return [r for r in self.recipients if r.channel is Channel.SMS]

    @property
    def emails(self) -> int:
        return sum(1 for r in self.recipients if r.channel is Channel.EMAIL)

    @property
    def total_segments(self) -> int:
        return sum(r.segments.count for r in self.sms if r.segments)

    @property
    def segments_histogram(self) -> dict[int, int]:
        """{segments: how many SMS}, e.g. {1: 310, 2: 12}."""
        return dict(sorted(Counter(r.segments.count for r in self.sms if r.segments).items()))

    @property
    def estimated_cost(self) -> Decimal:
        cost = self.price_per_segment * self.total_segments
        return cost.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    @property
    def over_limit(self) -> list[RecipientPreview]:
        return [r for r in self.sms if r.segments and r.segments.count > self.segment_limit]

    @property
    def can_launch(self) -> bool:
        return not self.over_limit


def preview_invitations(school: School, kind: MessageKind = MessageKind.INVITE) -> CampaignPreview:
    """Render `kind` for everyone a launch would invite. Raises TemplateProblem first if
    any message template is broken."""
    from parentlink.campaigns.services import eligible_families  # campaigns imports us

    check_templates()
    config = current_app.config
    preview = CampaignPreview(
        segment_limit=school.sms_segment_limit,
        price_per_segment=price_per_segment(school),
        currency=config["SMS_PRICE_CURRENCY"],
    )
    for contact, pupils in eligible_families(school.id).items():
        channel = contact.best_channel()
        if channel is None:
            preview.unreachable.append(contact.id)
            continue
        rendered = render(
            kind,
            channel,
            school=school,
            contact=contact,
            children=and_list([p.first_name for p in pupils]),
        )
        if channel is Channel.SMS:
            text = sms_with_link(rendered.body)
            segments: Segments | None = count_segments(text)
        else:
            text, segments = rendered.body, None
        preview.recipients.append(
            RecipientPreview(contact.id, contact.first_name, channel, text, segments)
        )
    return preview


def segment_limit_problem(school: School) -> str | None:
    """Why a launch must wait (SMS over the school's segment limit), or None."""
    preview = preview_invitations(school)
    if preview.can_launch:
        return None
    longest = max(r.segments.count for r in preview.over_limit if r.segments)
    return (
        f"{len(preview.over_limit)} text message(s) would be {longest} segments long, over "
        f"the school's limit of {preview.segment_limit}: shorten the template or the names "
        f"(see `parentlink campaign preview`) before launching"
    )
