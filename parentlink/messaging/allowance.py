"""GOV.UK Notify's free yearly text allowance: how much of it this school has left.

Notify gives each service a number of free text messages (fragments) a year, renewed on
1 April (its financial year, UK time), then charges for each fragment. ParentLink counts
what it has sent through Notify since then from the outbox: SMS rows that Notify accepted
(its notification ids are UUIDs, where Twilio's start "SM" and the sandbox's "SB"), with
the fragments counted by Notify's rule when they were queued. Notify charges for texts to
numbers that do not exist or phones that are off too, so every accepted text counts.
Texts the school sends from Notify's own website are not in our outbox: the office can
lower the allowance setting to allow for them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from parentlink.core.clock import now
from parentlink.db import db
from parentlink.directory.models import Channel
from parentlink.messaging.models import Message
from parentlink.schools.sending import notify_free_allowance, notify_price_pence

UK = ZoneInfo("Europe/London")
_UUID = "________-____-____-____-____________"  # LIKE: 8-4-4-4-12 characters


def financial_year_start(moment: datetime) -> date:
    """1 April of the financial year (April to March, UK time) that `moment` falls in."""
    today = moment.astimezone(UK).date()
    return date(today.year if today.month >= 4 else today.year - 1, 4, 1)


@dataclass(frozen=True)
class Allowance:
    total: int  # free fragments a year
    used: int  # sent through Notify since `since`
    since: date
    price_pence: Decimal  # per fragment beyond the allowance (plus VAT)

    @property
    def remaining(self) -> int:
        return max(0, self.total - self.used)

    def charged(self, fragments: int, after: int = 0) -> int:
        """How many of `fragments` are paid for, when `after` more go first."""
        free = max(0, self.remaining - after)
        return max(0, fragments - free)

    def cost(self, fragments: int, after: int = 0) -> Decimal:
        """In pounds, before VAT."""
        pounds = self.price_pence * self.charged(fragments, after) / 100
        return pounds.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def notify_fragments_sent(school_id: int, since: date) -> int:
    start = datetime.combine(since, time(0), tzinfo=UK).astimezone(UTC)
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(Message.segments), 0)).where(
                Message.school_id == school_id,
                Message.channel == Channel.SMS,
                Message.sent_at >= start,
                func.length(Message.provider_id) == 36,
                Message.provider_id.like(_UUID),
            )
        )
    )


def allowance_for(school) -> Allowance:
    since = financial_year_start(now())
    return Allowance(
        total=notify_free_allowance(school),
        used=notify_fragments_sent(school.id, since),
        since=since,
        price_pence=notify_price_pence(school),
    )
