"""Use cases for staff accounts."""

from __future__ import annotations

from sqlalchemy import func, select

from parentlink.core.audit import record
from parentlink.db import db
from parentlink.messaging.addresses import AddressError, normalise_email
from parentlink.office.models import Role, StaffUser


class StaffError(ValueError):
    pass


def create_staff(
    school_id: int, *, email: str, name: str, role: str, password: str, actor: str
) -> StaffUser:
    try:
        email = normalise_email(email)
    except AddressError as exc:
        raise StaffError(str(exc)) from exc
    if not name.strip():
        raise StaffError("a staff account needs a name")
    taken = db.session.scalar(
        select(StaffUser.id).where(func.lower(StaffUser.email) == email.lower())
    )
    if taken is not None:
        raise StaffError(f"{email} already has an account")
    user = StaffUser(school_id=school_id, email=email, name=name.strip(), role=Role(role))
    try:
        user.set_password(password)
    except ValueError as exc:
        raise StaffError(str(exc)) from exc
    db.session.add(user)
    db.session.flush()
    record("staff.create", actor=actor, school_id=school_id, subject=f"staff:{user.id}", role=role)
    return user


def flag_contact_details(contact, *, reason: str, actor: str) -> None:
    """The office found a carer's details wrong: show them on the data-quality list."""
    from parentlink.core.clock import now

    reason = reason.strip()
    if not reason:
        raise StaffError("say what is wrong with these details")
    contact.details_flagged_at = now()
    contact.details_flag_reason = reason[:200]
    record(
        "contact.details_flagged",
        actor=actor,
        school_id=contact.school_id,
        subject=f"contact:{contact.id}",
        reason=reason[:200],
    )


def remind_now(invitation, *, actor: str) -> int:
    """Send this carer their next reminder now, through the outbox, with a link of its own
    (earlier links keep working)."""
    from parentlink.campaigns.chase import remind_by_hand
    from parentlink.campaigns.models import CampaignStatus, InvitationStatus
    from parentlink.core.clock import now

    if invitation.campaign.status is not CampaignStatus.OPEN:
        raise StaffError("this campaign is closed")
    if invitation.status in (InvitationStatus.CONFIRMED, InvitationStatus.REVOKED):
        raise StaffError("this carer has nothing to be reminded of")
    channel = invitation.contact.best_channel()
    if channel is None:
        raise StaffError("we have no mobile or email for this carer: phone them instead")
    sent = remind_by_hand(invitation, now())
    db.session.flush()
    record(
        "invitation.remind_now",
        actor=actor,
        school_id=invitation.school_id,
        subject=f"invitation:{invitation.id}",
        channel=channel.value,
    )
    return sent


def remind_selected(campaign, invitations, *, actor: str) -> tuple[int, int]:
    """The office ticked several households: each gets its next reminder through the outbox;
    one audit event records the whole action. Returns (reminded, skipped: no way to reach)."""
    from parentlink.campaigns.chase import remind_by_hand
    from parentlink.campaigns.models import CampaignStatus
    from parentlink.core.clock import now

    if campaign.status is not CampaignStatus.OPEN:
        raise StaffError("this campaign is closed")
    if not invitations:
        raise StaffError("tick the households to remind first")
    at = now()
    reminded = [i for i in invitations if i.contact.best_channel() is not None]
    for invitation in reminded:
        remind_by_hand(invitation, at)
    db.session.flush()
    record(
        "invitation.remind_selected",
        actor=actor,
        school_id=campaign.school_id,
        subject=f"campaign:{campaign.id}",
        invitations=[i.id for i in reminded],
        skipped=len(invitations) - len(reminded),
    )
    return len(reminded), len(invitations) - len(reminded)
