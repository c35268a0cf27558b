"""Which provider's rule counts a text: the one place that decides.

Twilio (and the sandbox, which stands in for it) counts as GSM 03.38 does (`sms.py`);
GOV.UK Notify downgrades characters its own way, keeps Welsh letters, divides rather than
packs and refuses texts over 918 characters (`sms_notify.py`). Everything that counts a
text before it is queued (the campaign preview, the launch, an office reply, the outbox's
`segments` column that the allowance is counted from) asks here."""

from __future__ import annotations

from parentlink.messaging import sms, sms_notify
from parentlink.messaging.sms import Segments
from parentlink.schools.sending import sms_through_notify


def count_sms(text: str) -> Segments:
    """The segments (Notify: fragments) the gateway sending texts will bill for `text`."""
    if sms_through_notify():
        return sms_notify.count_fragments(text)
    return sms.count_segments(text)


def garbled_by_provider(text: str) -> bool:
    """Whether the gateway sending texts would turn letters of `text` into "?": GOV.UK
    Notify sends only the Latin alphabet (and Welsh accents), not Urdu, Arabic or Bengali;
    Twilio sends any alphabet (as UCS-2)."""
    return sms_through_notify() and bool(sms_notify.as_sent(text)[1])
