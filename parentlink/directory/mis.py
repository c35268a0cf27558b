"""MIS exports as they really are: SIMS, Arbor, Bromcom, Groupcall Xporter and Wonde layouts.

`prepare(data, mapping)` reads the file (files.py: CSV in any encoding, or Excel), applies the
school's column mapping, reshapes "one row per pupil with Contact 1 …, Contact 2 … columns"
into one row per pupil–contact pair, splits a carer's name held in one cell ("Mrs Priya
Patel", "Patel, Priya"), takes the mobile from a column that is a mobile (a landline in a
"Telephone" or "Home" column never displaces it), gives carers without a contact id a stable
identity (identity.py), repairs what Excel did to phone numbers where that is safe, and
hands back rows in our columns for `importer.check_records` with the file's own row numbers.

Column names come from the vendors' documentation and support pages: SIMS (Adno, UPN,
Legal Forename, Reg, Priority, Parental Responsibility, Court Order), Arbor (Admission No,
Legal guardian, Court order in place, Contact N Name), Bromcom (Contact Priority, Parental
Responsibility, Court Order Restricted Access, Tutor Group), Groupcall Xporter and Wonde
(MIS_ID / mis_id, RegGroup / registration_group, ParentalResponsibility / parental_responsibility).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from parentlink.directory import checked, identity
from parentlink.directory.files import FileProblem, read_file
from parentlink.directory.importer import COLUMNS, RowError
from parentlink.messaging.addresses import AddressError

__all__ = ["FileProblem", "Prepared", "guess_mapping", "prepare", "read_headers"]

PUPIL_FIELDS = COLUMNS[:5]
CONTACT_FIELDS = (*COLUMNS[5:], "contact_name", "phone")
# The fields the office maps (the canonical columns, a carer's name in one cell, and
# other telephone columns to look for a mobile in when the mobile column is empty).
FIELDS = (*COLUMNS, "contact_name", "phone")
REQUIRED = ("pupil_id", "pupil_first_name", "pupil_last_name", "year_group", "class")
REQUIRED_CONTACT = ("relationship", "parental_responsibility")

_PUPIL_ALIASES: dict[str, tuple[str, ...]] = {
    "pupil_id": (
        "pupil id",
        "upn",
        "admission number",
        "admission no",
        "adno",
        "pupil mis id",
        "student id",
        "mis id",
    ),
    "pupil_first_name": (
        "pupil first name",
        "pupil forename",
        "student forename",
        "forename",
        "first name",
        "legal forename",
        "preferred forename",
    ),
    "pupil_last_name": (
        "pupil last name",
        "pupil surname",
        "student surname",
        "surname",
        "last name",
        "legal surname",
        "preferred surname",
    ),
    "year_group": ("year group", "year", "nc year", "curriculum year", "yeargroup"),
    "class": (
        "class",
        "reg",
        "reg group",
        "registration group",
        "reg form",
        "registration form",
        "form",
        "tutor group",
        "form group",
    ),
}
# Names of a carer's own columns, without the "Contact" / "Contact 1" in front of them.
_CONTACT_NAMES: dict[str, tuple[str, ...]] = {
    "contact_id": ("id", "mis id", "person id", "contact id"),
    "contact_first_name": ("forename", "first name", "legal forename"),
    "contact_last_name": ("surname", "last name", "legal surname"),
    "contact_name": ("name", "full name", ""),
    "relationship": (
        "relationship",
        "relation",
        "relationship to pupil",
        "relationship to student",
    ),
    "parental_responsibility": (
        "parental responsibility",
        "has parental responsibility",
        "has pr",
        "pr",
        "legal guardian",
    ),
    "mobile": ("mobile", "mobile phone", "mobile number", "mobile telephone", "telephone mobile"),
    "phone": (
        "telephone",
        "phone",
        "telephone number",
        "phone number",
        "home",
        "home telephone",
        "home phone",
        "telephone home",
        "work",
        "work telephone",
        "work phone",
        "telephone work",
    ),
    "email": ("email", "email address", "e mail"),
    "preferred_channel": ("preferred channel", "contact method", "preferred contact method"),
    "court_order": ("court order", "court order in place", "court order restricted access"),
    "priority": ("priority", "contact priority"),
}
_PREFIXES = ("contact", "parent", "guardian", "carer")
_WIDE = re.compile(r"^(?:contact|parent|guardian|carer) (\d+) ?(.*)$")
_EXCEL_EXPONENT = re.compile(r"^\d+(\.\d+)?e\+?\d+$", re.IGNORECASE)
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_NO_LEADING_ZERO = re.compile(r"7\d{9}")  # a UK mobile after Excel took its 0


def norm(header: str) -> str:
    """ "Contact 1 Mobile", "ContactMobile", "contact_mobile" -> "contact 1 mobile"…"""
    return " ".join(_NOT_ALNUM.sub(" ", _CAMEL.sub(" ", header).lower()).split())


def _long_aliases(ours: str) -> tuple[str, ...]:
    if ours in _PUPIL_ALIASES:
        return (norm(ours), *_PUPIL_ALIASES[ours])
    names = _CONTACT_NAMES[ours]
    prefixed = tuple(f"{p} {n}".strip() for n in names for p in _PREFIXES)
    bare = {
        "relationship": names,
        "parental_responsibility": names,
        "mobile": names,
        "phone": names,
        "email": names,
        "preferred_channel": names,
        "court_order": names,
        "priority": names,
    }.get(ours, ())
    return (norm(ours), *prefixed, *bare)


@dataclass
class Prepared:
    encoding: str = ""  # what the file is, as the preview says it
    headers: list[str] = field(default_factory=list)
    sheets: list[str] = field(default_factory=list)
    wide: bool = False
    contacts_per_row: int = 0
    # One (file row, {our column: cell}) per pupil–carer pair, for importer.check_records.
    records: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    pupil_ids: set[str] = field(default_factory=set)
    identities: identity.Report | None = None


def read_headers(data: bytes, sheet: str | None = None, filename: str = "") -> list[str]:
    return read_file(data, filename, sheet, headers_only=True).headers


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """Our column -> their header, from the names MIS exports commonly use."""
    by_norm: dict[str, str] = {}
    for h in headers:
        by_norm.setdefault(norm(h), h)
    wide = bool(_wide_columns(headers))
    mapping: dict[str, str] = {}
    wanted = PUPIL_FIELDS if wide else FIELDS
    for ours in wanted:
        if ours == "phone":
            continue  # every telephone column is looked at (below), none is "the" phone
        for candidate in _long_aliases(ours):
            header = by_norm.get(candidate)
            if header and header not in mapping.values():
                mapping[ours] = header
                break
    return mapping


def _wide_columns(headers: list[str]) -> dict[int, dict[str, list[int]]]:
    """{contact number: {our field: [column indexes]}} for "Contact 1 Mobile"-style headers."""
    found: dict[int, dict[str, list[int]]] = {}
    for index, header in enumerate(headers):
        match = _WIDE.match(norm(header))
        if not match:
            continue
        n, rest = int(match.group(1)), match.group(2)
        for ours, names in _CONTACT_NAMES.items():
            if rest in names:
                found.setdefault(n, {}).setdefault(ours, []).append(index)
                break
    return found


def _phone_columns(headers: list[str], mapping: dict[str, str]) -> list[int]:
    """Every other telephone column of a long file, in file order (a mobile may hide there)."""
    names = {n for n in _long_aliases("phone")}
    mapped = set(mapping.values())
    return [i for i, h in enumerate(headers) if norm(h) in names and h not in mapped]


def prepare(
    data: bytes,
    mapping: dict[str, str],
    *,
    filename: str = "",
    sheet: str | None = None,
    identity_choices: dict | None = None,
    allow_international: bool | None = None,
) -> Prepared:
    out = Prepared()
    table = read_file(data, filename, sheet)
    out.encoding, out.headers, out.sheets = table.kind, table.headers, table.sheets
    out.errors += [RowError(row, message) for row, message in table.problems]
    headers = table.headers
    positions: dict[str, list[int]] = {}
    for index, header in enumerate(headers):
        if header:
            positions.setdefault(header, []).append(index)
    wide = _wide_columns(headers)
    out.wide, out.contacts_per_row = bool(wide), len(wide)
    columns = _columns(mapping, positions, wide, out)
    if any(e.row == 1 for e in out.errors):
        return out
    phones = [] if wide else _phone_columns(headers, mapping)
    groups = (
        [{k: v for k, v in fields.items()} for _n, fields in sorted(wide.items())]
        if wide
        else [{ours: [columns[ours]] for ours in CONTACT_FIELDS if ours in columns}]
    )
    if not wide and phones:
        groups[0]["phone"] = phones
    # Where each field is read from, worked out once for the whole file.
    pupil_columns = [(ours, _at(columns.get(ours))) for ours in PUPIL_FIELDS]
    contact_columns = [
        [(ours, _at(fields.get(ours))) for ours in CONTACT_FIELDS if ours != "phone"]
        for fields in groups
    ]
    records = []
    for number, cells in table.rows:
        pupil = _pick(cells, pupil_columns)
        out.pupil_ids.add(pupil["pupil_id"])
        contacts = []
        for fields, wanted in zip(groups, contact_columns, strict=True):
            contact = _pick(cells, wanted)
            contact["mobile"] = _mobile(contact["mobile"], fields, cells, allow_international)
            if any(contact.values()):
                contacts.append(contact)
        if not contacts:
            out.warnings.append(RowError(number, f"pupil {pupil['pupil_id']} has no contact"))
        for contact in contacts:
            problem = identity.split_name(contact)
            if problem:
                out.errors.append(RowError(number, problem))
            _repair(number, contact, out, allow_international)
            records.append((number, pupil, contact))
    out.identities = identity.assign(records, identity_choices or {}, allow_international)
    _canonical(records, out)
    return out


def _at(indexes: list[int] | int | None) -> tuple[int, ...]:
    if indexes is None:
        return ()
    return (indexes,) if isinstance(indexes, int) else tuple(indexes)


def _pick(cells: list[str], wanted: list[tuple[str, tuple[int, ...]]]) -> dict[str, str]:
    """{field: the first non-empty cell of its columns, else ""}"""
    n = len(cells)
    picked = {}
    for ours, indexes in wanted:
        value = ""
        for index in indexes:
            if index < n and cells[index]:
                value = cells[index]
                break
        picked[ours] = value
    return picked


def _columns(mapping, positions, wide, out: Prepared) -> dict[str, int]:
    columns: dict[str, int] = {}
    needed = PUPIL_FIELDS if wide else FIELDS
    for ours in needed:
        theirs = mapping.get(ours)
        if not theirs:
            if ours in REQUIRED or (not wide and ours in REQUIRED_CONTACT):
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
    named = ("contact_first_name", "contact_last_name")
    if not wide and "contact_name" not in columns and not all(c in columns for c in named):
        out.errors.append(
            RowError(1, "no column chosen for the carer's name (forename and surname, or name)")
        )
    for n, fields in sorted(wide.items()):
        has_name = "contact_name" in fields or all(f in fields for f in named)
        missing = [] if has_name else ["name"]
        missing += [f.replace("_", " ") for f in REQUIRED_CONTACT if f not in fields]
        if missing:
            out.errors.append(RowError(1, f"contact {n} has no {', '.join(missing)} column"))
    return columns


def _mobile(mobile: str, fields, cells: list[str], allow_international) -> str:
    """The mobile column's value; if it is empty, the first other telephone that is a mobile.
    A landline is never taken for a mobile."""
    if mobile:
        return mobile
    for index in fields.get("phone", []):
        value = cells[index] if index < len(cells) else ""
        if not value:
            continue
        try:
            checked.mobile(value, allow_international)
        except AddressError:
            continue
        return value
    return ""


def _canonical(records, out: Prepared) -> None:
    # A pupil's fields and a carer's (its name split, so no "contact_name" is left) are
    # together exactly our columns.
    out.records = [(number, pupil | contact) for number, pupil, contact in records]


def _who(contact: dict[str, str]) -> str:
    return contact.get("contact_id") or (
        f"{contact.get('contact_first_name', '')} {contact.get('contact_last_name', '')}".strip()
        or "a contact"
    )


def _repair(
    number: int, contact: dict[str, str], out: Prepared, allow_international: bool | None = None
) -> None:
    """Undo what Excel does to phone numbers where that is safe; say so, or say why not."""
    mobile = contact.get("mobile", "").replace(" ", "")
    if not mobile:
        return
    if _EXCEL_EXPONENT.match(mobile):
        out.errors.append(
            RowError(
                number,
                (
                    f"mobile for {_who(contact)} is {contact['mobile']!r}: Excel turned the "
                    "number into a rounded figure and its digits are lost. Export from the MIS "
                    "again and open it without Excel, or format the column as Text"
                ),
            )
        )
        contact["mobile"] = ""
        return
    if _NO_LEADING_ZERO.fullmatch(mobile):
        contact["mobile"] = "0" + mobile
        out.warnings.append(
            RowError(number, f"mobile for {_who(contact)}: added the leading 0 Excel removed")
        )
    if contact.get("mobile"):
        try:
            checked.mobile(contact["mobile"], allow_international)
        except AddressError as exc:
            if "landline" in str(exc) and contact.get("email"):
                out.warnings.append(
                    RowError(
                        number,
                        (
                            f"{contact['mobile']} for {_who(contact)} is a landline: we cannot "
                            "text it, so we will use the email address"
                        ),
                    )
                )
                contact["mobile"] = ""
                if contact.get("preferred_channel", "").lower() in ("sms", "text", "mobile"):
                    contact["preferred_channel"] = "email"
