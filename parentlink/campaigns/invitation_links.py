"""Personal links. The invitation's first link is its `token_hash`; every later message that
carries a link (a reminder, a fallback to the other channel, "send me a new link") gets a
link of its own here, so an older message's link keeps working. Only hashes are kept."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Select, String, select, update
from sqlalchemy.orm import Mapped, mapped_column

from parentlink.core.clock import now
from parentlink.core.tokens import hash_token, new_token
from parentlink.db import db


class InvitationLink(db.Model):
    __tablename__ = "invitation_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("invitation.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(32))  # "reminder-2", "fallback", "new-link"
    created_at: Mapped[datetime] = mapped_column(default=now)
    revoked_at: Mapped[datetime | None]


def issue_link(invitation, purpose: str) -> str:
    """A fresh token for this invitation; returns it (to put in one message) and keeps its hash."""
    token = new_token()
    db.session.add(
        InvitationLink(
            school_id=invitation.school_id,
            invitation_id=invitation.id,
            token_hash=hash_token(token),
            purpose=purpose[:32],
        )
    )
    return token


def live_link_invitation(token_hash) -> Select:
    """The invitation id of the link with this hash (a value or a bound parameter), if
    that link has not been revoked."""
    return select(InvitationLink.invitation_id).where(
        InvitationLink.token_hash == token_hash, InvitationLink.revoked_at.is_(None)
    )


def invitation_id_for(token: str) -> int | None:
    """The invitation an additional link belongs to (None if unknown or revoked)."""
    return db.session.scalar(live_link_invitation(hash_token(token)))


def revoke_extra_links(invitation_id: int) -> None:
    """When a parent asks for a new link, every earlier link of the invitation stops working."""
    db.session.execute(
        update(InvitationLink)
        .where(InvitationLink.invitation_id == invitation_id, InvitationLink.revoked_at.is_(None))
        .values(revoked_at=now())
        .execution_options(synchronize_session=False)
    )
