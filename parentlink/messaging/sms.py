"""SMS text: normalise to the GSM-7 alphabet, and count the segments a provider bills.

GSM 03.38 (3GPP TS 23.038): a message in the GSM-7 default alphabet fits 160 characters
in one segment, or 153 per segment once split (7 septets go to the concatenation
header); the extension-table characters ^ { } \\ [ ~ ] | € take two septets (an escape
and the character), and an escape pair is never split across two segments. A single
character outside GSM-7 makes the whole message UCS-2: 70 UTF-16 code units in one
segment, or 67 per segment; an emoji outside the Basic Multilingual Plane is a surrogate
pair (two units) and is never split either.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
) - {"\x1b"}
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
GSM7 = GSM7_BASIC | GSM7_EXTENSION

# Typography that phones, word processors and MIS exports put into text, and what it
# should be in an SMS so that one stray character does not switch the message to UCS-2
# (which more than doubles the number of segments).
_REPLACEMENTS = {
    **dict.fromkeys("‘’‚‛′´`", "'"),
    **dict.fromkeys("“”„‟″«»", '"'),
    **dict.fromkeys("‐‑‒–—―−", "-"),
    "…": "...",
    "•": "-",
    "\t": " ",
    # spaces of every width, including the non-breaking ones
    **dict.fromkeys("\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008", " "),
    **dict.fromkeys("\u2009\u200a\u202f\u205f\u3000", " "),
    # invisible characters: zero-width spaces and joiners, word joiner, BOM, soft hyphen
    **dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\u00ad", ""),
}
_TABLE = str.maketrans(_REPLACEMENTS)
_REPLACED = frozenset(_REPLACEMENTS)
_SPACES = re.compile(r"[ ]{2,}")


def normalise(text: str) -> str:
    """The same message in GSM-7 where only typography or an accent stood in the way.

    A letter outside GSM-7 whose base letter is in it loses its accent (Zoë -> Zoe,
    Chloé stays, é being GSM-7), as Twilio's "smart encoding" does: one such letter would
    otherwise make every SMS to that family cost two or three times as much. Letters with
    no such base (Łukasz, Аня) are kept, and the message goes as UCS-2."""
    if not _REPLACED.isdisjoint(text):
        text = text.translate(_TABLE)
    if "  " in text:
        text = _SPACES.sub(" ", text)
    text = text.strip()
    if GSM7.issuperset(text):  # nearly every message: nothing to fold
        return text
    return "".join(ch if ch in GSM7 else _fold(ch) for ch in text)


def _is_gsm7_char(ch: str) -> bool:
    return ch in GSM7


def _fold(ch: str) -> str:
    base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    return base if base and all(_is_gsm7_char(c) for c in base) else ch


def is_gsm7(text: str) -> bool:
    return GSM7.issuperset(text)


class Segments(NamedTuple):  # a tuple: a launch counts 10,000
    encoding: str  # "GSM-7" or "UCS-2"
    count: int
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    characters: int
    non_gsm: tuple[str, ...] = ()  # the characters that forced UCS-2
    lost: tuple[str, ...] = ()  # characters the provider will send as "?"
    maximum: int | None = None  # the provider refuses a text of more characters
    sent_text: str | None = None  # the text as the provider will send it, if it changes it
    provider: str = "Twilio"  # whose rule counted these segments

    @property
    def per_segment(self) -> int:
        single, multi = (160, 153) if self.encoding == "GSM-7" else (70, 67)
        return single if self.count <= 1 else multi

    @property
    def too_long(self) -> bool:
        return self.maximum is not None and self.characters > self.maximum

    def refusal(self, limit: int) -> str | None:
        """Why this text must not be sent as it is (for the office), or None."""
        if self.too_long:
            return (
                f"{self.characters} characters, more than {self.provider} sends "
                f"(at most {self.maximum})"
            )
        if self.lost:
            shown = " ".join(self.lost[:6]) + (" …" if len(self.lost) > 6 else "")
            return f'{self.provider} cannot send {shown} by text: the family would see "?" instead'
        if self.count > limit:
            return f"{self.count} segments, more than the school's limit of {limit}"
        return None


def count_segments(text: str) -> Segments:
    """As Twilio (and GSM 03.38) count: see the module's docstring. Callers that queue or
    preview a text use `sms_rules.count_sms`, which picks the rule of the SMS gateway.
    A launch counts thousands, so the common cases are counted without a loop: when no
    character takes two units, filling segments one character at a time is a division."""
    if GSM7.issuperset(text):
        encoding, single, multi = "GSM-7", 160, 153
        non_gsm: tuple[str, ...] = ()
        wide = 0 if GSM7_EXTENSION.isdisjoint(text) else sum(map(text.count, GSM7_EXTENSION))
        units = len(text) + wide
    else:
        encoding, single, multi = "UCS-2", 70, 67
        units = len(text.encode("utf-16-le")) // 2
        wide = units - len(text)  # characters outside the BMP: surrogate pairs
        outside = set(text) - GSM7
        non_gsm = tuple(sorted(outside, key=text.index))  # in order of first appearance
    if units == 0:
        count = 0
    elif units <= single:
        count = 1
    elif not wide:
        count = -(-units // multi)
    else:  # fill segments one character at a time: a pair never straddles two
        count, used = 1, 0
        two = GSM7_EXTENSION if encoding == "GSM-7" else {ch for ch in text if ord(ch) > 0xFFFF}
        for ch in text:
            size = 2 if ch in two else 1
            if used + size > multi:
                count, used = count + 1, 0
            used += size
    return Segments(encoding, count, units, len(text), non_gsm)
