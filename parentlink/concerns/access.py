"""Only the safeguarding lead (role dsl) sees concerns; every refusal is audited.

The answer to anyone else is a bare 403 that says nothing about the concerns (not even
whether one exists).
"""

from __future__ import annotations

from parentlink.office.permissions import Permission, requires

REFUSED = "Only the school's safeguarding lead can see this page."


def dsl_required(view):
    """The office's own gate (sign-in, two-factor, idle timeout) and the one permission
    only the DSL role holds; a refusal is audited and says nothing."""
    return requires(Permission.READ_CONCERNS)(view)


def concern_message_kinds():
    """Messages whose mere existence tells that a family reported a concern (the
    acknowledgement to the parent, the alerts to staff): only the DSL sees them in the
    office's message log, family timelines and evidence pages."""
    from parentlink.messaging.models import MessageKind

    return frozenset(
        {
            MessageKind.CONCERN_ACK,
            MessageKind.DSL_ALERT,
            MessageKind.CONCERN_ESCALATION,
            MessageKind.CONCERN_DIGEST,
        }
    )
