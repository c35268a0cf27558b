"""The CSV of all concerns for the safeguarding lead, safe to open in a spreadsheet."""

from __future__ import annotations

from collections.abc import Iterator

from parentlink.concerns.forms import CATEGORY_LABELS
from parentlink.concerns.models import Concern
from parentlink.concerns.queries import all_concerns
from parentlink.core.filters import london_datetime

HEADER = [
    "reference",
    "status",
    "category",
    "urgency",
    "source",
    "reported_at",
    "acknowledged_at",
    "closed_at",
    "reported_by",
    "pupil",
    "class",
    "platform",
    "happened_on",
    "description",
    "assigned_to",
    "outcome",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    """A cell that a spreadsheet would run as a formula is kept as text (OWASP's advice)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def row_of(concern: Concern) -> list[str]:
    contact, pupil = concern.contact, concern.pupil
    values = [
        concern.reference,
        concern.status.value,
        CATEGORY_LABELS[concern.category],
        concern.urgency.value if concern.urgency else "",
        concern.source.value,
        london_datetime(concern.reported_at),
        london_datetime(concern.acknowledged_at),
        london_datetime(concern.closed_at),
        f"{contact.first_name} {contact.last_name}" if contact else "",
        f"{pupil.first_name} {pupil.last_name}" if pupil else "",
        pupil.class_name if pupil else "",
        concern.platform,
        concern.happened_on.isoformat() if concern.happened_on else "",
        concern.description,
        concern.assigned_to.name if concern.assigned_to else "",
        concern.outcome,
    ]
    return [neutralise(v) for v in values]


def csv_rows(school_id: int) -> Iterator[tuple[Concern | None, list[str]]]:
    yield None, HEADER
    for concern in all_concerns(school_id):
        yield concern, row_of(concern)
