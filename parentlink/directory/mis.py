"""MIS exports as they really are: any of SIMS, Arbor or Bromcom's layouts, saved by Excel.

`prepare(data, mapping)` decodes the bytes (UTF-8 with or without BOM, UTF-16, or
Windows-1252, detected with charset-normalizer), applies the school's column mapping,
reshapes "one row per pupil with Contact 1 …, Contact 2 … columns" into one row per
pupil–contact pair, repairs what Excel did to phone numbers where that is safe, and hands
back canonical CSV for `importer.import_families`, with warnings and row errors that keep
the spreadsheet's own row numbers.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from charset_normalizer import from_bytes

from parentlink.core.text import find_control
from parentlink.directory.importer import COLUMNS, REQUIRED, RowError
from parentlink.messaging.addresses import AddressError, normalise_mobile

CONTACT_FIELDS = COLUMNS[5:]  # contact_id … preferred_channel
PUPIL_FIELDS = COLUMNS[:5]

ALIASES: dict[str, tuple[str, ...]] = {
    "pupil_id": ("pupil id", "upn", "admission number", "adno", "pupil mis id", "student id"),
    "pupil_first_name": (
        "pupil first name",
        "forename",
        "legal forename",
        "first name",
        "pupil forename",
        "preferred forename",
    ),
    "pupil_last_name": (
        "pupil last name",
        "surname",
        "legal surname",
        "last name",
        "pupil surname",
        "preferred surname",
    ),
    "year_group": ("year group", "year", "nc year", "curriculum year", "yeargroup"),
    "class": ("class", "reg group", "registration group", "form", "tutor group"),
    "contact_id": ("contact id", "contact mis id", "parent id", "id"),
    "contact_first_name": (
        "contact first name",
        "contact forename",
        "parent forename",
        "first name",
        "forename",
    ),
    "contact_last_name": (
        "contact last name",
        "contact surname",
        "parent surname",
        "last name",
        "surname",
    ),
    "relationship": ("relationship", "relation", "relationship to pupil"),
    "parental_responsibility": ("parental responsibility", "pr", "has parental responsibility"),
    "mobile": ("mobile", "mobile phone", "mobile number", "telephone", "phone"),
    "email": ("email", "email address", "e mail"),
    "preferred_channel": ("preferred channel", "contact method", "preferred contact method"),
}
_WIDE = re.compile(r"^contact (\d+) (.+)$")
_EXCEL_EXPONENT = re.compile(r"^\d+(\.\d+)?e\+?\d+$", re.IGNORECASE)


def norm(header: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", header.lower()).split())


@dataclass
class Prepared:
    encoding: str = "utf-8"
    headers: list[str] = field(default_factory=list)
    wide: bool = False
    contacts_per_row: int = 0
    canonical: bytes = b""
    source_rows: dict[int, int] = field(default_factory=dict)  # canonical row -> file row
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    pupil_ids: set[str] = field(default_factory=set)


class FileProblem(ValueError):
    """The file as a whole cannot be read; the message says what to do."""


def decode(data: bytes) -> tuple[str, str]:
    if not data.strip(b"\x00\r\n\t ,"):
        raise FileProblem("the file is empty")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "UTF-8 (with BOM)"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "UTF-16"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    best = from_bytes(data, cp_isolation=["cp1252", "iso8859_15", "latin_1"]).best()
    if best is None:
        raise FileProblem("we cannot tell how this file's text is encoded; save it as CSV UTF-8")
    name = {"cp1252": "Windows-1252", "iso8859_15": "ISO-8859-15", "latin_1": "Latin-1"}
    return str(best), name.get(best.encoding, best.encoding)


def read_table(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    sample = text[:4096]
    delimiter = max((",", ";", "\t"), key=lambda d: sample.split("\n", 1)[0].count(d))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    headers = [h.strip() for h in next(reader, [])]
    rows = []
    for number, record in enumerate(reader, start=2):
        if any(cell.strip() for cell in record):  # blank rows (Excel leaves many) are skipped
            rows.append((number, record))
    return headers, rows


def _refuse_controls(number: int, record: list[str]) -> None:
    """The one input rule (parentlink.core.text) for every cell of the file."""
    if any(find_control(cell) for cell in record):
        raise FileProblem(
            f"row {number} contains an invisible control character (such as a null "
            "character); remove it in the spreadsheet and export the file again"
        )


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """Our column -> their header, from the names MIS exports commonly use."""
    by_norm = {}
    for h in headers:
        by_norm.setdefault(norm(h), h)
    wide = any(_WIDE.match(norm(h)) for h in headers)
    mapping = {}
    for ours in PUPIL_FIELDS + (() if wide else CONTACT_FIELDS):
        candidates = (norm(ours.replace("_", " ")), *ALIASES[ours])
        if not wide and ours in PUPIL_FIELDS:
            candidates = (
                tuple(
                    c
                    for c in candidates
                    if c not in ("first name", "last name", "surname", "forename")
                )
                or candidates
            )
            if ours == "pupil_first_name":
                candidates = (*candidates, "first name", "forename")
            if ours == "pupil_last_name":
                candidates = (*candidates, "last name", "surname")
        for c in candidates:
            if c in by_norm and by_norm[c] not in mapping.values():
                mapping[ours] = by_norm[c]
                break
    return mapping


def _wide_columns(headers: list[str]) -> dict[int, dict[str, int]]:
    """{contact number: {our field: column index}} for "Contact 1 Mobile"-style headers."""
    found: dict[int, dict[str, int]] = {}
    for index, header in enumerate(headers):
        match = _WIDE.match(norm(header))
        if not match:
            continue
        n, rest = int(match.group(1)), match.group(2)
        for ours in CONTACT_FIELDS:
            plain = norm(ours.replace("contact_", "").replace("_", " "))
            names = {plain, *(a.replace("contact ", "") for a in ALIASES[ours])}
            if rest in names:
                found.setdefault(n, {}).setdefault(ours, index)
                break
    return found


def prepare(
    data: bytes, mapping: dict[str, str], *, allow_international: bool | None = None
) -> Prepared:
    out = Prepared()
    text, out.encoding = decode(data)
    headers, rows = read_table(text)
    _refuse_controls(1, headers)
    for number, record in rows:
        _refuse_controls(number, record)
    out.headers = headers
    positions: dict[str, list[int]] = {}
    for index, header in enumerate(headers):
        if header:
            positions.setdefault(header, []).append(index)
    wide = _wide_columns(headers)
    out.wide = bool(wide)
    out.contacts_per_row = len(wide)
    needed = PUPIL_FIELDS if wide else COLUMNS
    columns: dict[str, int] = {}
    for ours in needed:
        theirs = mapping.get(ours)
        if not theirs:
            if ours in REQUIRED:
                out.errors.append(RowError(1, f"no column chosen for {ours.replace('_', ' ')}"))
            continue
        if theirs not in positions:
            out.errors.append(RowError(1, f"the file has no column called {theirs!r}"))
            continue
        if len(positions[theirs]) > 1:
            cols = " and ".join(str(i + 1) for i in positions[theirs])
            out.errors.append(
                RowError(1, f"the column {theirs!r} appears twice (columns {cols}): remove one")
            )
            continue
        columns[ours] = positions[theirs][0]
    if wide:
        for n, fields in sorted(wide.items()):
            basics = ("contact_id", "contact_first_name", "contact_last_name")
            missing = [
                f.replace("contact_", "").replace("_", " ") for f in basics if f not in fields
            ]
            if missing:
                out.errors.append(
                    RowError(
                        1,
                        f"contact {n} has no {', '.join(missing)} column",
                    )
                )
    if out.errors:
        return out
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    canonical_row = 1
    for number, record in rows:

        def cell(index: int | None, record: list[str] = record) -> str:
            return record[index].strip() if index is not None and index < len(record) else ""

        pupil = {ours: cell(columns.get(ours)) for ours in PUPIL_FIELDS}
        out.pupil_ids.add(pupil["pupil_id"])
        if wide:
            contacts = []
            for _n, fields in sorted(wide.items()):
                contact = {ours: cell(fields.get(ours)) for ours in CONTACT_FIELDS}
                if any(contact.values()):
                    contacts.append(contact)
            if not contacts:
                out.warnings.append(RowError(number, f"pupil {pupil['pupil_id']} has no contact"))
        else:
            contacts = [{ours: cell(columns.get(ours)) for ours in CONTACT_FIELDS}]
        for contact in contacts:
            _repair(number, contact, out, allow_international)
            canonical_row += 1
            out.source_rows[canonical_row] = number
            writer.writerow({**pupil, **contact})
    out.canonical = buffer.getvalue().encode("utf-8")
    return out


def _repair(
    number: int, contact: dict[str, str], out: Prepared, allow_international: bool | None = None
) -> None:
    """Undo what Excel does to phone numbers where that is safe; say so, or say why not."""
    who = contact.get("contact_id") or "a contact"
    mobile = contact.get("mobile", "").replace(" ", "")
    if mobile and _EXCEL_EXPONENT.match(mobile):
        out.errors.append(
            RowError(
                number,
                (
                    f"mobile for {who} is {contact['mobile']!r}: Excel turned the number into "
                    "a rounded figure and its digits are lost. Export from the MIS again and "
                    "open it without Excel, or format the column as Text"
                ),
            )
        )
        contact["mobile"] = ""
        return
    if re.fullmatch(r"7\d{9}", mobile):
        contact["mobile"] = "0" + mobile
        out.warnings.append(
            RowError(number, f"mobile for {who}: added the leading 0 Excel removed")
        )
    if contact.get("mobile"):
        try:
            normalise_mobile(contact["mobile"], allow_international=allow_international)
        except AddressError as exc:
            if "landline" in str(exc) and contact.get("email"):
                out.warnings.append(
                    RowError(
                        number,
                        (
                            f"{contact['mobile']} for {who} is a landline: we cannot text it, so "
                            "we will use the email address"
                        ),
                    )
                )
                contact["mobile"] = ""
                if contact.get("preferred_channel", "").lower() in ("sms", "text", "mobile"):
                    contact["preferred_channel"] = "email"
    pr = contact.get("parental_responsibility", "").lower()
    if not contact.get("mobile") and not contact.get("email") and pr in ("no", "n", "false", "0"):
        out.warnings.append(RowError(number, f"{who} has no mobile or email: we cannot reach them"))
