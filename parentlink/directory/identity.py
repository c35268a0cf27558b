"""Who is who when the export has no contact id (a SIMS contacts report, an Arbor wide file).

A carer's identity is then derived from what the file has, within the school: their name
(without titles, case or punctuation) with their mobile, or else their email; with neither,
the name with the pupil (never merged across families on a name alone). The same file gives
the same ids every time, so a re-import updates the same carers.

Every place where rows become one adult (siblings sharing a carer) or one name becomes
several adults (different mobiles, or no details) is reported for the preview, and the
office can choose otherwise before importing: `choices` = {"split": [derived ids that are
really different people, one per pupil], "merge": [name keys that are one person]}.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from parentlink.directory import checked
from parentlink.messaging.addresses import AddressError

PREFIX = "derived-"


@dataclass
class Merge:
    """Rows for several pupils treated as one carer."""

    contact_id: str
    name: str
    reached_by: str
    rows: list[tuple[int, str]]  # (file row, pupil's name)
    undone: bool = False  # the office chose "these are different people"
    numbers: list[int] = field(default_factory=list, repr=False)  # the file rows alone


@dataclass
class Split:
    """One name that became several carers."""

    name_key: str
    name: str
    carers: list[tuple[str, list[int]]]  # (how reached, file rows) per carer
    undone: bool = False  # the office chose "this is one person"


@dataclass
class Report:
    derived: bool = False
    merges: list[Merge] = field(default_factory=list)
    splits: list[Split] = field(default_factory=list)


_NOT_WORD = re.compile(r"[^\w]+")
_TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "rev", "revd", "sir", "lady", "master"}


def split_name(contact: dict[str, str]) -> str | None:
    """ "Mrs Priya Patel" or "Patel, Priya" in one cell -> forename and surname; a problem
    to show the office if the cell does not hold both."""
    whole = contact.pop("contact_name", "")
    if not whole or (contact.get("contact_first_name") and contact.get("contact_last_name")):
        return None
    if "," in whole:
        last, first = (part.strip() for part in whole.split(",", 1))
        words = first.split()
    else:
        words = whole.split()
        last = words.pop() if len(words) > 1 else ""
    while words and words[0].lower().rstrip(".") in _TITLES:
        words.pop(0)
    contact["contact_first_name"], contact["contact_last_name"] = " ".join(words), last
    if not words or not last:
        return (
            f"the carer's name {whole!r} needs a forename and a surname "
            "(as “Priya Patel” or “Patel, Priya”)"
        )
    return None


def name_key(first: str, last: str) -> str:
    return " ".join(_NOT_WORD.sub(" ", f"{first} {last}".lower()).split())


def _reach(contact: dict[str, str], allow_international: bool | None) -> str:
    mobile = contact.get("mobile", "")
    if mobile:
        try:
            return checked.mobile(mobile, allow_international)
        except AddressError:
            pass
    return contact.get("email", "").strip().lower()


def _id(key: str) -> str:
    return PREFIX + hashlib.sha256(key.encode()).hexdigest()[:20]


def assign(records, choices: dict, allow_international: bool | None = None) -> Report:
    """Give every carer without a contact id a derived one; report merges and splits.
    `records`: (file row, pupil fields, contact fields) — the contact fields are updated."""
    report = Report()
    split_ids = set(choices.get("split", []))
    merge_names = set(choices.get("merge", []))
    by_id: dict[str, Merge] = {}
    by_name: dict[str, dict[str, tuple[str, list[int]]]] = {}
    names: dict[str, str] = {}
    for number, pupil, contact in records:
        if contact.get("contact_id"):
            continue
        report.derived = True
        key_name = name_key(
            contact.get("contact_first_name", ""), contact.get("contact_last_name", "")
        )
        reach = _reach(contact, allow_international)
        natural = _id(f"{key_name}|{reach}" if reach else f"{key_name}|pupil:{pupil['pupil_id']}")
        if key_name in merge_names:
            contact_id = _id(key_name)
        elif natural in split_ids:
            contact_id = _id(f"{key_name}|{reach}|pupil:{pupil['pupil_id']}")
        else:
            contact_id = natural
        contact["contact_id"] = contact_id
        display = f"{contact.get('contact_first_name', '')} {contact.get('contact_last_name', '')}"
        names[key_name] = display.strip()
        pupil_name = f"{pupil.get('pupil_first_name', '')} {pupil.get('pupil_last_name', '')}"
        merge = by_id.get(natural)
        if merge is None:
            how = reach or "no mobile or email"
            merge = by_id[natural] = Merge(natural, display.strip(), how, [])
            by_name.setdefault(key_name, {})[natural] = (how, merge.numbers)
        merge.rows.append((number, pupil_name.strip()))
        merge.numbers.append(number)
        merge.undone = natural in split_ids
    report.merges = [m for m in by_id.values() if len({p for _r, p in m.rows}) > 1]
    report.splits = [
        Split(key, names[key], list(carers.values()), undone=key in merge_names)
        for key, carers in by_name.items()
        if len(carers) > 1
    ]
    return report
