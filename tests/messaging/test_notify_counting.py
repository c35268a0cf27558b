"""When GOV.UK Notify sends the texts, a text is counted as Notify bills it, and a text Notify
would refuse (too long) or garble (an alphabet it sends as "?") is refused before it is
queued.

The figures are facts checked against Notify's own code and tests (alphagov/notifications-
utils, August 2026: tests/test_template_types.py fragment counts, tests/test_sanitise_text.py
downgrades, SMS_CHAR_COUNT_LIMIT = 918) and its pricing page's tables (160/306/.../918
characters for 1-6 texts; 70/134/201/268 then +67 with Welsh accents)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from parentlink.directory.models import Channel
from parentlink.messaging import sms, sms_notify
from parentlink.messaging.models import Message, MessageKind
from parentlink.messaging.outbox import enqueue, sms_with_link
from parentlink.messaging.sms_rules import count_sms
from parentlink.messaging.templates import Rendered, render
from tests.builders import school

A_GRAVE, Y_DIAERESIS, W_HAT = "à", "ÿ", "ŵ"  # à is in GSM-7; ÿ and ŵ are Welsh, not GSM-7


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        # GSM-7: 160 in one text, then 153 a fragment, up to 918 characters (6 fragments)
        (A_GRAVE * 160, 1), (A_GRAVE * 161, 2), (A_GRAVE * 306, 2), (A_GRAVE * 307, 3),
        (A_GRAVE * 612, 4), (A_GRAVE * 613, 5), (A_GRAVE * 765, 5), (A_GRAVE * 766, 6),
        (A_GRAVE * 918, 6), (A_GRAVE * 919, 7),
        # a Welsh letter outside GSM-7 makes the whole text UCS-2: 70, then 67 a fragment
        (Y_DIAERESIS * 70, 1), (Y_DIAERESIS * 71, 2), (Y_DIAERESIS * 134, 2),
        (Y_DIAERESIS * 135, 3), (Y_DIAERESIS * 268, 4), (Y_DIAERESIS * 269, 5),
        (Y_DIAERESIS * 402, 6), (Y_DIAERESIS * 403, 7), (A_GRAVE * 70 + Y_DIAERESIS, 2),
        # ^ { } [ ] | count twice in GSM-7, but not in a UCS-2 text
        ("^" * 80, 1), ("^" * 81, 2), ("a" * 158 + "|", 1), ("a" * 159 + "|", 2),
        ("a" * 304 + "[", 2), ("a" * 304 + "[]", 3),
        ("â" * 69 + "{", 1), ("â" * 70 + "{", 2), ("â" * 133 + "}", 2), ("â" * 134 + "}", 3),
        # an emoji becomes "?": one GSM-7 character, not a UCS-2 pair
        ("🚀" * 160, 1), ("🚀" * 161, 2),
    ],
)  # fmt: skip
def test_fragments_are_counted_as_notify_counts_them(text, fragments):
    assert sms_notify.count_fragments(text).count == fragments


def test_notify_divides_where_twilio_packs_an_escape_pair_whole():
    # 152 plain characters then "€" (two septets) and more: Twilio moves the pair to the
    # next segment, Notify just divides the septets by 153.
    text = "a" * 152 + "€" + "a" * 152
    assert sms.count_segments(text).count == 3
    assert sms_notify.count_fragments(text).count == 2


@pytest.mark.parametrize(
    ("text", "sent", "lost"),
    [
        ("Łōdź", "Lodz", ()),
        ("It Just Works™", "It Just Works?", ("™",)),
        ("Need more 🐮🔔", "Need more ??", ("🐮", "🔔")),
        ("Ŵêlsh chârâctêrs", "Ŵêlsh chârâctêrs", ()),  # kept, as Notify keeps Welsh letters
        ("“quoted” – fine…", '"quoted" - fine...', ()),
        ("Zażółć gęślą jaźń", "Zazólc gesla jazn", ()),  # Polish: ó is a Welsh letter, kept
        ("Știți că școala", "Stiti ca scoala", ()),  # Romanian comma-below letters
        ("ação, lição", "acao, licao", ()),  # Portuguese ã ç
        ("gap  before , and\u00a0after", "gap before, and after", ()),  # Notify's spacing
    ],
)
def test_the_text_as_notify_will_send_it(text, sent, lost):
    counted = sms_notify.count_fragments(text)
    assert (counted.sent_text, counted.lost) == (sent, lost)


def test_welsh_and_some_romanian_and_portuguese_letters_make_a_notify_text_ucs2():
    for text, letters in [
        ("Croeso i Ysgol Gymraeg Bro Tâf, Siân", ("â",)),
        (f"Gwyn{W_HAT} y dd{W_HAT}r", (W_HAT,)),
        ("Vă rugăm să citiți, în școală", ("î",)),  # ă ș ț fold, î is a Welsh letter
        ("Confirme o acordo até amanhã, está", ("á",)),  # é is GSM-7, á is not
    ]:
        counted = sms_notify.count_fragments(text)
        assert (counted.encoding, counted.non_gsm) == ("UCS-2", letters), text
    assert sms_notify.count_fragments("Prosimy o potwierdzenie, Łucja").encoding == "GSM-7"
    assert sms_notify.count_fragments("Zażółć").non_gsm == ("ó",)


def test_notify_refuses_more_than_918_characters_whatever_the_fragments():
    assert sms_notify.count_fragments("a" * 918).refusal(10) is None
    refusal = sms_notify.count_fragments("a" * 919).refusal(10)
    assert refusal == "919 characters, more than GOV.UK Notify sends (at most 918)"
    # the 918 are characters after the downgrade, not septets: 459 "€" is 918 septets
    assert sms_notify.count_fragments("€" * 459 + "a" * 459).refusal(10) is None
    # with Welsh letters 918 characters are 14 fragments: the school's own limit says no
    welsh = sms_notify.count_fragments(W_HAT * 918)
    assert welsh.count == 14 and welsh.refusal(10) == (
        "14 segments, more than the school's limit of 10"
    )


def _invitation(the_school, language: str, children: str) -> str:
    the_school.messages_in_family_language = True
    carer = SimpleNamespace(first_name="Anna", last_name="Example", language=language, id=1)
    body = render(
        MessageKind.INVITE, Channel.SMS, school=the_school, contact=carer, children=children
    ).body
    return sms_with_link(body)


def test_real_invitations_in_every_language_counted_by_notify(ctx):
    the_school = school()
    counted = {
        code: sms_notify.count_fragments(_invitation(the_school, code, "Łucja i Siân"))
        for code in ("en", "pl", "ro", "pt", "ur", "ar", "bn")
    }
    for code in ("en", "pl", "ro", "pt"):
        assert counted[code].encoding == "GSM-7" and not counted[code].lost, code
        # ParentLink folds â (Siân -> Sian); Notify turns Ł into L
        assert "Lucja" in counted[code].sent_text and "Sian" in counted[code].sent_text, code
    assert counted["en"].characters == 161 and counted["en"].count == 2
    assert counted["pl"].count == counted["ro"].count == counted["pt"].count == 2
    for code in ("ur", "ar", "bn"):  # Notify cannot send these alphabets: "?" instead
        assert counted[code].lost, code
        assert "???" in counted[code].sent_text, code
        assert '"?" instead' in counted[code].refusal(3), code
    # Twilio would send the same Polish text as UCS-2 (Ł), in three segments
    twilio = sms.count_segments(_invitation(the_school, "pl", "Łucja i Siân"))
    assert (twilio.encoding, twilio.count) == ("UCS-2", 3)


def test_the_gateway_setting_chooses_the_rule_and_the_outbox_counts_with_it(ctx, app):
    the_school = school()
    text = _invitation(the_school, "pl", "Łucja")
    rendered = Rendered(body=text)

    def queued() -> Message:
        return enqueue(
            school_id=the_school.id, kind=MessageKind.TEST, channel=Channel.SMS,
            rendered=rendered, to="+447700900001",
        )  # fmt: skip

    for gateway, provider, segments in [("sandbox", "Twilio", 3), ("notify", "GOV.UK Notify", 2)]:
        app.config["SMS_GATEWAY"] = gateway
        assert count_sms(text).provider == provider
        assert queued().segments == segments
