"""How GOV.UK Notify turns a text into what it sends, and counts the fragments it bills.

Read from Notify's own code and tests (alphagov/notifications-utils: `sanitise_text.py`,
`template.py`, `SMS_CHAR_COUNT_LIMIT`; checked August 2026) and its pricing page
(notifications.service.gov.uk/pricing/text-messages). Our own code, not theirs:

- A character of the GSM-7 alphabet (with its extension ^ { } \\ [ ~ ] | €) is kept, and so
  are the accented letters Welsh uses (à á â ä è é ê ë ì í î ï ò ó ô ö ù ú û ü ẁ ẃ ŵ ẅ ỳ ý
  ŷ ÿ and their capitals) even where GSM-7 has no room for them.
- Anything else is "downgraded": a letter whose canonical decomposition starts with a kept
  character becomes that character (ą -> a, ș -> s, ç -> c), and a short list of typography
  is replaced (curly quotes, dashes, ellipsis, odd spaces, zero-width characters, Ł -> L).
  What is left (Arabic, Bengali, Urdu, emoji, ™) is sent as "?". Notify does not refuse
  such a message: the family would get question marks.
- A message with a Welsh letter outside GSM-7 (â, ŵ, ŷ, í ...) goes as UCS-2: 70
  characters in one fragment, else 67 a fragment. Otherwise GSM-7: 160, else 153, with
  each extension character counted twice. Notify divides (ceil), it does not pack.
- Notify refuses a message over 918 characters (6 fragments of 153), counted after the
  downgrade and without the extension characters' second septet.
"""

from __future__ import annotations

import math
import re
import unicodedata

from parentlink.messaging.sms import GSM7_BASIC, GSM7_EXTENSION, Segments

MAX_CHARACTERS = 918  # Notify's SMS_CHAR_COUNT_LIMIT: 153 x 6

WELSH_LETTERS = frozenset(
    "àèìòùẁỳÀÈÌÒÙẀỲ"  # grave
    "áéíóúẃýÁÉÍÓÚẂÝ"  # acute
    "äëïöüẅÿÄËÏÖÜẄŸ"  # diaeresis
    "âêîôûŵŷÂÊÎÔÛŴŶ"  # circumflex (to bach)
)
_GSM = (GSM7_BASIC | GSM7_EXTENSION) - {"\f"}
KEPT = _GSM | WELSH_LETTERS
WELSH_UCS2 = WELSH_LETTERS - _GSM  # the letters that make a whole text UCS-2

_ZERO_WIDTH = "\u180e\u200b\u200c\u200d\u2060\ufeff"
_REPLACED = {
    **dict.fromkeys("\u2011\u2013\u2014\u2212", "-"),
    "\u2026": "...",
    **dict.fromkeys("\u2018\u2019\u201a", "'"),
    **dict.fromkeys("\u201c\u201d\u201e", '"'),
    **dict.fromkeys(_ZERO_WIDTH + "\u2028\u2029", ""),
    **dict.fromkeys("\u00a0\u202f\t", " "),
    "Ł": "L",
    "ł": "l",
}
LOST = "?"
_WHITESPACE = str.maketrans({**dict.fromkeys(_ZERO_WIDTH, ""), "\u00a0": " ", "\u202f": " "})
_SPACE_BEFORE_PUNCTUATION = re.compile(r"[ \t]+([,.])")


def _downgrade(ch: str) -> str | None:
    decomposition = unicodedata.decomposition(ch)
    if decomposition and "<" not in decomposition:
        first = chr(int(decomposition.split()[0], 16))
        return first if first in KEPT else None
    return _REPLACED.get(ch)


def as_sent(text: str) -> tuple[str, tuple[str, ...]]:
    """The text as Notify will send it, and the characters it will send as "?"."""
    out: list[str] = []
    lost: dict[str, None] = {}
    for ch in _tidy(text):
        if ch in KEPT:
            out.append(ch)
            continue
        down = _downgrade(ch)
        if down is None:
            lost.setdefault(ch)
            out.append(LOST)
        else:
            out.append(down)
    return "".join(out), tuple(lost)


def _tidy(text: str) -> str:
    """Notify's whitespace rules, applied before the downgrade: no space before a comma or
    a full stop, each line's runs of spaces become one, lines are trimmed, more than two
    line breaks become two, and the text is trimmed."""
    text = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", text).translate(_WHITESPACE)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    joined = "\n".join(lines)
    while "\n\n\n" in joined:
        joined = joined.replace("\n\n\n", "\n\n")
    return joined.strip()


def count_fragments(text: str) -> Segments:
    """What Notify will bill for `text` (as ParentLink hands it over)."""
    text = _tidy(text)
    sent, lost = as_sent(text)
    characters = len(sent.encode("utf-16-le")) // 2
    welsh = tuple(dict.fromkeys(ch for ch in text if ch in WELSH_UCS2))
    if welsh:
        encoding, units, single, multi = "UCS-2", characters, 70, 67
    else:
        extended = sum(1 for ch in text if ch in GSM7_EXTENSION)
        encoding, units, single, multi = "GSM-7", characters + extended, 160, 153
    if units == 0:
        count = 0
    elif units <= single:
        count = 1
    else:
        count = math.ceil(units / multi)
    return Segments(
        encoding,
        count,
        units,
        characters,
        non_gsm=welsh,
        lost=lost,
        maximum=MAX_CHARACTERS,
        sent_text=sent,
        provider="GOV.UK Notify",
    )
