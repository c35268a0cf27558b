"""Why an email bounced, and whose fault it is.

A bounce is only evidence against the parent's address when the receiving system says the
recipient is wrong. When it refuses *our* mail (the school's SPF, DKIM or DMARC, its
sender's reputation, a missing reverse DNS, a spam or content filter: the 5.7.x family and
their words), every parent at that provider would bounce the same way, so no parent is
flagged: the administrator is told, once, what to fix. A full mailbox or another passing
fault is counted, not flagged at once; a delay is recorded only.

The enhanced status codes are RFC 3463's; the words are those real servers use in their
diagnostics (Postfix, Exim, Exchange and Microsoft 365, Gmail, Yahoo, Amazon SES).
"""

from __future__ import annotations

import enum
import re

from parentlink.messaging.dsn import RecipientStatus


class Cause(enum.Enum):
    RECIPIENT = "recipient"  # no such mailbox or domain: the address is wrong
    SENDER = "sender"  # our set-up or reputation: never the parent's fault
    MAILBOX_FULL = "mailbox-full"
    SOFT = "soft"  # another passing or unclear failure: counted
    DELAYED = "delayed"  # still trying: recorded only


# (words in the diagnostic, what is wrong, what the administrator should do)
SENDER_PROBLEMS = (
    (
        r"dmarc",
        "receiving servers refuse our mail under the sending domain's DMARC policy",
        "publish SPF and DKIM records for the sending domain that match the From address, "
        "and make the relay sign with DKIM",
    ),
    (
        r"\bspf\b|sender policy framework",
        "the sending domain's SPF record does not allow our mail server",
        "add the mail relay to the sending domain's SPF record",
    ),
    (
        r"dkim",
        "our mail fails DKIM checks",
        "make the mail relay sign with DKIM for the sending domain and publish its key",
    ),
    (
        r"reverse dns|\bptr\b|rdns|reverse lookup|hostname.*(not|does not) resolve",
        "our mail server's IP address has no matching reverse DNS",
        "ask whoever runs the mail relay to set a PTR record that matches its hostname",
    ),
    (
        r"reputation|blocklist|blacklist|block ?list|spamhaus|\brbl\b|listed|bulk mail|"
        r"rate limit|too many",
        "receiving servers distrust our mail server (its reputation or a block list)",
        "send through a relay with a good reputation (the school's or the trust's mail "
        "service) and check the relay's IP on public block lists",
    ),
    (
        r"spam|junk|content|virus|malware|policy|not authori[sz]ed|unauthenticated|"
        r"authentication|access denied.*sender|relay(ing)? (denied|not permitted)",
        "receiving servers refuse our mail by their policy (spam or content filter, "
        "authentication)",
        "check the mail relay's settings, SPF, DKIM and DMARC, and the message's content",
    ),
)
_RECIPIENT_WORDS = re.compile(
    r"user unknown|unknown user|no such user|no such (mailbox|recipient|address)|"
    r"does not exist|doesn't exist|not exist|unknown (recipient|address|mailbox)|"
    r"invalid (recipient|mailbox|address)|recipient (address )?rejected|mailbox unavailable|"
    r"mailbox not found|address not found|not found|unrouteable|no mx|host not found|"
    r"domain (not found|does not)|account (is )?(disabled|inactive|closed)|"
    r"mailbox (is )?(disabled|inactive)|bad destination",
    re.I,
)
_FULL_WORDS = re.compile(
    r"mailbox (is )?full|over ?quota|quota exceeded|exceeded (the )?quota|insufficient "
    r"(storage|space)|mailbox size limit",
    re.I,
)
_RECIPIENT_CODES = ("5.1.1", "5.1.2", "5.1.3", "5.1.6", "5.1.10", "5.2.1", "5.4.1", "5.4.4")


def classify(status: RecipientStatus) -> Cause:
    """The cause of one recipient's failure (or delay)."""
    if status.action != "failed":
        return Cause.DELAYED
    code, words = status.status, status.diagnostic.lower()
    if code.startswith("5.7.") or code in ("5.1.7", "5.1.8"):
        return Cause.SENDER
    if code in _RECIPIENT_CODES:
        return Cause.RECIPIENT
    if code.endswith(".2.2") or _FULL_WORDS.search(words):
        return Cause.MAILBOX_FULL
    if sender_problem(words):
        return Cause.SENDER
    if code.startswith("4."):
        return Cause.SOFT
    if _RECIPIENT_WORDS.search(words) or (code == "5.0.0" and not words):
        return Cause.RECIPIENT  # (a permanent failure with nothing more said: the address)
    return Cause.SOFT


def sender_problem(words: str) -> tuple[str, str] | None:
    """(what is wrong, what to fix) if the diagnostic blames our mail, else None."""
    for pattern, what, fix in SENDER_PROBLEMS:
        if re.search(pattern, words, re.I):
            return what, fix
    return None


def explain_sender_problem(status: RecipientStatus) -> tuple[str, str]:
    """What is wrong and what to fix, for a SENDER bounce (a generic 5.7.x if unsaid)."""
    return sender_problem(status.diagnostic) or (
        f"receiving servers refuse our mail ({status.status}: delivery not authorised)",
        "check the mail relay's settings, SPF, DKIM and DMARC for the sending domain",
    )
