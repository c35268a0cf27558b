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
