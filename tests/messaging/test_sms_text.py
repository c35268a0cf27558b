"""GSM-7 normalisation and segment counting, with the published boundaries of GSM 03.38 /
3GPP TS 23.038 (160/153 septets, 70/67 UTF-16 units) and the cases Twilio's segment
calculator shows: extension characters count two and an escape pair or a surrogate pair
is never split between segments."""

from __future__ import annotations

import pytest

from parentlink.messaging.sms import count_segments, is_gsm7, normalise


@pytest.mark.parametrize(
    ("text", "encoding", "segments", "units"),
    [
        ("", "GSM-7", 0, 0),
        ("a" * 160, "GSM-7", 1, 160),
        ("a" * 161, "GSM-7", 2, 161),
        ("a" * 306, "GSM-7", 2, 306),
        ("a" * 307, "GSM-7", 3, 307),
        ("a" * 459, "GSM-7", 3, 459),
        ("a" * 460, "GSM-7", 4, 460),
        ("€" * 80, "GSM-7", 1, 160),  # extension characters take two septets
        ("a" * 159 + "€", "GSM-7", 2, 161),
        ("{}[]~|^\\" * 10, "GSM-7", 1, 160),
        ("€" * 81, "GSM-7", 2, 162),
        # 152 + escape pair would straddle the 153 boundary: it moves to segment 2
        ("a" * 152 + "€" + "a" * 152, "GSM-7", 3, 306),
        ("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà", "GSM-7", 1, 42),
        ("ж" * 70, "UCS-2", 1, 70),
        ("ж" * 71, "UCS-2", 2, 71),
        ("ж" * 134, "UCS-2", 2, 134),
        ("ж" * 135, "UCS-2", 3, 135),
        ("a" * 159 + "ç", "UCS-2", 3, 160),  # one lower-case ç (not GSM-7) switches all
        ("😀" * 35, "UCS-2", 1, 70),  # an emoji is a surrogate pair: two units
        ("😀" * 36, "UCS-2", 2, 72),
        ("ж" * 66 + "😀" + "ж" * 66, "UCS-2", 3, 134),  # the pair is never split
    ],
)
def test_segment_counts(text, encoding, segments, units):
    result = count_segments(text)
    assert (result.encoding, result.count, result.units) == (encoding, segments, units)


def test_the_characters_that_force_ucs2_are_named():
    assert count_segments("Zoë’s mum 😀").non_gsm == ("ë", "’", "😀")


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Coates Lane’s “agreement”", 'Coates Lane\'s "agreement"'),
        ("Years 3–6 — please", "Years 3-6 - please"),
        ("Wait…", "Wait..."),
        ("Amelia\u00a0and\u202fOscar", "Amelia and Oscar"),
        ("zero\u200bwidth\u200d\ufeffjoin\u00ad", "zerowidthjoin"),
        ("tab\there  and  spaces", "tab here and spaces"),
        ("• bullet", "- bullet"),
    ],
)
def test_typography_becomes_gsm7(raw, clean):
    assert normalise(raw) == clean
    assert is_gsm7(normalise(raw))


def test_accents_outside_gsm7_fold_and_other_letters_are_kept():
    assert normalise("Zoë, Chloé, Ångström and Łukasz") == "Zoe, Chloé, Ångström and Łukasz"
    assert normalise("Zoë and Chloé") == "Zoe and Chloé" and is_gsm7("Zoe and Chloé")


def test_normalising_saves_segments():
    text = (
        "Coates Lane Primary: please read and confirm our “social media” agreement – "
        "it’s for Amelia… "
    )
    assert count_segments(text).encoding == "UCS-2" and count_segments(text).count == 2
    assert count_segments(normalise(text)).count == 1


def _segments_one_by_one(text: str) -> tuple[str, int, int, tuple[str, ...]]:
    """The definition, character by character: what count_segments's shortcuts must equal."""
    basic = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡")
    basic |= set("ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
    extension = set("^{}\\[~]|€\f")
    if all(ch in basic or ch in extension for ch in text):
        encoding, single, multi = "GSM-7", 160, 153
        sizes = [2 if ch in extension else 1 for ch in text]
    else:
        encoding, single, multi = "UCS-2", 70, 67
        sizes = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    count, used = (1, 0) if text else (0, 0)
    for size in sizes if sum(sizes) > single else ():
        if used + size > multi:
            count, used = count + 1, 0
        used += size
    outside = tuple(dict.fromkeys(ch for ch in text if ch not in basic and ch not in extension))
    return encoding, count, sum(sizes), outside


def test_counting_without_a_loop_equals_counting_one_character_at_a_time():
    """A launch counts its segments through shortcuts (a division when no character takes
    two units); 20,000 random texts around every boundary must count exactly as the
    definition does."""
    import random

    rng = random.Random(18)
    pools = ["a", "a€", "a{", "ж", "ж😀", "a😀", "aé€ç", "Zoë ’", "a\n\f"]
    for _ in range(20_000):
        pool = rng.choice(pools)
        length = rng.choice([0, 1, 69, 70, 71, 134, 135, 152, 153, 159, 160, 161, 306, 307])
        length += rng.randint(-3, 3)
        text = "".join(rng.choice(pool) for _ in range(max(length, 0)))
        got = count_segments(text)
        assert (got.encoding, got.count, got.units, got.non_gsm) == _segments_one_by_one(text)
        assert got.characters == len(text)


def test_normalising_plain_text_returns_it_unchanged_and_folds_the_rest():
    plain = "Coates Lane Primary: please confirm for Amelia and Oscar: [[link]]"
    assert normalise(plain) == plain
    assert normalise(plain + " Zoë") == plain + " Zoe"
