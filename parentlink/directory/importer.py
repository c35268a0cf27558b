"""Families in: a CSV of pupil–contact pairs, validated whole before anything is written.

One row per pupil–contact pair. A bad row stops the import with its row number and the
reason; nothing is written. Re-importing the same file updates by MIS ids.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import NamedTuple

from parentlink.db import db
from parentlink.directory import checked, writer
from parentlink.directory.models import Channel
from parentlink.directory.services import StoppedLink
from parentlink.messaging.addresses import AddressError

COLUMNS = (
    "pupil_id",
    "pupil_first_name",
    "pupil_last_name",
    "year_group",
    "class",
    "contact_id",
    "contact_first_name",
    "contact_last_name",
    "relationship",
    "parental_responsibility",
    "mobile",
    "email",
    "preferred_channel",
    "court_order",
    "priority",
)
REQUIRED = COLUMNS[:10]
MAX_LENGTHS = {  # the columns' sizes in the database
    "pupil_id": 64,
    "pupil_first_name": 100,
    "pupil_last_name": 100,
    "class": 40,
    "contact_id": 64,
    "contact_first_name": 100,
    "contact_last_name": 100,
    "relationship": 40,
}
YEAR_GROUPS = ("Nursery", "Reception", *(f"Year {n}" for n in range(1, 14)))
_YEAR_SPELLINGS = {  # "Year 3", "Y3", "3"; "Reception", "R", "Rec"
    **{
        spelling: name
        for name in YEAR_GROUPS
        for spelling in (
            name.lower(),
            name.lower().replace("year ", "y"),
            name.lower().replace("year ", ""),
        )
    },
    "r": "Reception",
    "rec": "Reception",
}
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}
_YES_OR_NO = _YES | _NO


@dataclass(frozen=True)
class RowError:
    row: int  # as a spreadsheet numbers it: the header is row 1
    message: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.message}"


class ImportRejected(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors[:5]))


@dataclass
class ImportSummary:
    pupils_added: int = 0
    pupils_updated: int = 0
    contacts_added: int = 0
    contacts_updated: int = 0
    links: int = 0
    warnings: list[RowError] = field(default_factory=list)
    # Carers who will no longer be contacted about a pupil: the link left the file, or
    # its parental responsibility was turned off, or a court order was recorded.
    stopped: list[StoppedLink] = field(default_factory=list)
    links_removed: int = 0
    messages_cancelled: int = 0
    invitations_revoked: int = 0


class _Row(NamedTuple):  # a tuple: thousands are made per file, and cheaply
    number: int
    pupil: tuple[str, str, str, str, str]  # mis id, first, last, year group, class
    contact: tuple[str, str, str, str | None, str | None, Channel]
    relationship: str
    parental_responsibility: bool
    court_order: bool | None = None  # None: the file says nothing about one
    priority: int | None = None  # as the MIS ranks this carer for this pupil


def read_rows(
    data: bytes,
    *,
    allow_international: bool | None = None,
    file_rows: dict[int, int] | None = None,
) -> list[_Row]:
    """Parse and validate every row; raise ImportRejected listing every problem found.
    Mobiles abroad are accepted when `allow_international` (default: the deployment's
    setting). `file_rows` gives each row's number in the file it came from (an export
    reshaped by mis.prepare), so every message cites the file's own rows."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRejected(
            [RowError(1, "the file is not UTF-8 text; save it as CSV UTF-8")]
        ) from exc
    if not text.strip():
        raise ImportRejected([RowError(1, "the file is empty")])
    # csv.reader (unlike DictReader) yields blank lines, so numbers match the spreadsheet's.
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ImportRejected([RowError(1, f"missing column(s): {', '.join(missing)}")])
    records = (
        ((file_rows or {}).get(number, number), dict(zip(header, record, strict=False)))
        for number, record in enumerate(reader, start=2)
    )
    return check_records(records, allow_international=allow_international)


def check_records(records, *, allow_international: bool | None = None) -> list[_Row]:
    """Validate (file row, {our column: cell}) pairs; raise ImportRejected listing every
    problem found."""
    rows, errors = [], []
    for number, record in records:
        values = {k: v.strip() for k, v in record.items()}
        if not any(values.values()):
            continue  # a blank line
        try:
            rows.append(_parse_row(number, values, allow_international))
        except ValueError as exc:
            errors.append(RowError(number, str(exc)))
    if not rows and not errors:
        errors.append(RowError(2, "the file has no rows"))
    errors.extend(_check_consistency(rows))
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: e.row))
    return rows


def _parse_row(number: int, v: dict[str, str], allow_international: bool | None = None) -> _Row:
    empty = [c for c in REQUIRED if not v.get(c)]
    if empty:
        raise ValueError(f"{', '.join(empty)} must not be empty")
    for column, limit in MAX_LENGTHS.items():
        if len(v.get(column, "")) > limit:
            raise ValueError(f"{column} is longer than {limit} characters")
    year = _year_group(v["year_group"])
    pr = v["parental_responsibility"].lower()
    if pr not in _YES_OR_NO:
        raise ValueError(
            f"parental_responsibility must be yes or no, not {v['parental_responsibility']!r}"
        )
    mobile = email = None
    try:
        mobile = checked.mobile(v["mobile"], allow_international) if v.get("mobile") else None
        email = checked.email(v["email"]) if v.get("email") else None
    except AddressError as exc:
        raise ValueError(str(exc)) from exc
    channel = _channel(v.get("preferred_channel", ""), mobile, email)
    return _Row(
        number=number,
        pupil=(v["pupil_id"], v["pupil_first_name"], v["pupil_last_name"], year, v["class"]),
        contact=(
            v["contact_id"],
            v["contact_first_name"],
            v["contact_last_name"],
            mobile,
            email,
            channel,
        ),
        relationship=v["relationship"],
        parental_responsibility=pr in _YES,
        court_order=court_order(v.get("court_order", "")),
        priority=_priority(v.get("priority", "")),
    )


def _priority(raw: str) -> int | None:
    if not raw:
        return None
    if not raw.isdigit():
        raise ValueError(f"priority must be a number (1 = the first carer to call), not {raw!r}")
    return int(raw)


def court_order(raw: str) -> bool | None:
    """SIMS and Arbor say Yes/No (or True/False); any other text there describes an order,
    so it counts as a restriction too: contact is stopped, never assumed allowed. An empty
    cell (or no column) says nothing."""
    text = raw.strip().lower()
    if not text:
        return None
    return text not in _NO


def _year_group(raw: str) -> str:
    found = _YEAR_SPELLINGS.get(" ".join(raw.split()).lower())
    if found is None:
        raise ValueError(f"unknown year group {raw!r} (expected Reception, Year 1 … Year 6)")
    return found


def _channel(raw: str, mobile: str | None, email: str | None) -> Channel:
    text = raw.strip().lower()
    if not text:
        return Channel.SMS if mobile else Channel.EMAIL
    if text in {"sms", "text", "mobile"}:
        if not mobile:
            raise ValueError("preferred channel is SMS but there is no mobile number")
        return Channel.SMS
    if text == "email":
        if not email:
            raise ValueError("preferred channel is email but there is no email address")
        return Channel.EMAIL
    raise ValueError(f"preferred_channel must be sms or email, not {raw!r}")


def _check_consistency(rows: list[_Row]) -> list[RowError]:
    """The same pupil or contact must be described the same way on every row."""
    errors: list[RowError] = []
    pupils: dict[str, _Row] = {}
    contacts: dict[str, _Row] = {}
    pairs: dict[tuple[str, str], int] = {}
    for row in rows:
        first = pupils.setdefault(row.pupil[0], row)
        if first.pupil != row.pupil:
            errors.append(
                RowError(row.number, f"pupil {row.pupil[0]} differs from row {first.number}")
            )
        first = contacts.setdefault(row.contact[0], row)
        if first.contact != row.contact:
            who = row.contact[0]
            if who.startswith("derived-"):
                who = f"{row.contact[1]} {row.contact[2]}"
            errors.append(RowError(row.number, f"contact {who} differs from row {first.number}"))
        pair = (row.pupil[0], row.contact[0])
        if pair in pairs:
            errors.append(
                RowError(
                    row.number, f"pupil {pair[0]} and contact {pair[1]} repeat row {pairs[pair]}"
                )
            )
        pairs.setdefault(pair, row.number)
    return errors


def import_families(
    school_id: int,
    data: bytes,
    *,
    pupils_in_file: set[str] | None = None,
    file_rows: dict[int, int] | None = None,
) -> ImportSummary:
    """Validate all rows, then write them in the caller's transaction (flush, no commit).

    The file is the truth about each pupil it lists (`pupils_in_file`, default: those on
    its rows): a carer no longer linked to such a pupil loses the link, and with it every
    invitation and queued message about that pupil; so does a carer whose parental
    responsibility is turned off or who is under a court order (restrictions.py)."""
    school = _school(school_id)
    rows = read_rows(data, allow_international=_abroad(school), file_rows=file_rows)
    summary, plan = plan_import(school, rows, pupils_in_file)
    writer.apply(plan, summary)
    return summary


def _school(school_id: int):
    from parentlink.schools.models import School

    return db.session.get(School, school_id)


def _abroad(school) -> bool:
    from parentlink.schools.sending import international_mobiles_allowed

    return international_mobiles_allowed(school)


def plan_import(school, rows: list[_Row], pupils_in_file: set[str] | None):
    """The summary of what these rows change, and the plan that makes it (writer.py)."""
    summary = ImportSummary()
    taught = school.phase.year_groups
    for row in rows:
        if row.pupil[3] not in taught:
            summary.warnings.append(
                RowError(
                    row.number,
                    f"{row.pupil[1]} {row.pupil[2]} is in {row.pupil[3]}, which a "
                    f"{school.phase.value} school does not teach: check the year group, or the "
                    "school's phase in the settings",
                )
            )
    plan = writer.plan_families(school.id, rows, summary, pupils_in_file)
    return summary, plan
