"""The audit log in sentences: "Sarah Office recorded a paper reply for Amelia Smith's
family". Names are looked up for one page of events at a time (a query per kind of name);
an action without a sentence of its own still reads as one ("Sam: round.move on round:3")."""

from __future__ import annotations

import json

from sqlalchemy import select

from parentlink.campaigns.models import Campaign, Confirmation, Invitation, confirmation_pupil
from parentlink.core.audit import AuditEvent
from parentlink.db import db
from parentlink.directory.models import Contact, Pupil
from parentlink.office.models import StaffUser

# The kinds of action the office filters by: (label, action prefixes)
KINDS = {
    "access": ("Sign-ins and access", ("staff.login", "staff.logout", "staff.two_factor",
                                       "staff.session", "staff.permission", "staff.locked",
                                       "staff.recovery", "staff.password")),
    "replies": ("Replies from families", ("confirmation.",)),
    "reminders": ("Reminders and messages", ("invitation.", "settings.test_message")),
    "questions": ("Questions from families", ("question.",)),
    "campaigns": ("Campaigns and rounds", ("campaign.", "round.")),
    "agreement": ("The agreement", ("agreement.",)),
    "families": ("Families, imports and contact details", ("directory.", "contact.")),
    "settings": ("Settings and staff", ("school.", "terms.", "staff.create", "staff.invite",
                                        "staff.role", "staff.deactivate", "staff.reactivate",
                                        "staff.setup_link", "staff.mobile")),
}  # fmt: skip

SENTENCES = {
    "staff.login": "{actor} signed in",
    "staff.logout": "{actor} signed out",
    "staff.login_failed": "A sign-in failed",
    "staff.login_locked": "A sign-in was refused: the account is locked for a while",
    "staff.permission_refused": "{actor} was refused a page their role may not open",
    "staff.session_expired": "{actor} was signed out after a while without activity",
    "confirmation.create": "{contact} confirmed the agreement with their link for {family}",
    "confirmation.record_offline": "{actor} recorded a {channel} reply for {family}'s family",
    "confirmation.withdraw": "{contact} withdrew their confirmation for {family}",
    "invitation.remind_now": "{actor} sent a reminder to {contact}",
    "invitation.remind_selected": "{actor} sent reminders to {households} households",
    "invitation.new_link": "{contact} asked for a new link",
    "contact.details_flagged": "{actor} marked {contact}'s details as wrong",
    "contact.sms_opt_out": "{contact} turned off text messages (STOP)",
    "contact.sms_opt_in": "{contact} turned text messages back on",
    "question.reply": "{actor} replied to {contact}'s question by {channel}",
    "question.answered": "{actor} marked {contact}'s question as answered by phone or in person",
    "question.pass_to_dsl": "{actor} passed {contact}'s question to the safeguarding lead",
    "campaign.launch": "{actor} launched the campaign {campaign}",
    "campaign.close": "{actor} closed the campaign {campaign}",
    "agreement.publish": "{actor} published a version of the agreement",
    "agreement.draft": "{actor} started a new draft of the agreement",
    "agreement.clause_edit": "{actor} edited a point of the draft agreement",
    "directory.import": "{actor} imported families from the MIS",
    "school.settings": "{actor} changed the school's settings",
    "school.sending_window": "{actor} changed when texts may be sent",
    "staff.create": "{actor} added a staff account",
    "staff.invite": "{actor} invited a colleague",
    "staff.role": "{actor} changed a colleague's role",
    "staff.deactivate": "{actor} deactivated a colleague's account",
    "round.pause": "{actor} paused a termly round",
    "round.resume": "{actor} resumed a termly round",
    "round.skip": "{actor} skipped a termly round",
    "round.move": "{actor} moved a termly round",
}
CHANNELS = {"sms": "text", "email": "email", "paper": "paper", "phone": "phone"}


def _ids(refs, prefix: str) -> set[int]:
    out = set()
    for ref in refs:
        if ref and ref.startswith(prefix + ":") and ref.split(":", 1)[1].isdigit():
            out.add(int(ref.split(":", 1)[1]))
    return out


class Names:
    """Who and what the events on one page name, looked up together."""

    def __init__(self, school_id: int, events: list[AuditEvent]) -> None:
        self.details = {e.id: _detail(e.detail) for e in events}
        refs = [e.actor for e in events] + [e.subject for e in events]
        contact_ids = _ids(refs, "contact") | {
            d["contact"] for d in self.details.values() if isinstance(d.get("contact"), int)
        }
        self.staff = self._pairs(StaffUser, _ids(refs, "staff"), school_id, lambda s: s.name)
        confirmations = _ids(refs, "confirmation")
        self.family: dict[int, str] = {}
        self.confirmation_contact: dict[int, int] = {}
        if confirmations:
            for c_id, contact_id in db.session.execute(
                select(Confirmation.id, Confirmation.contact_id).where(
                    Confirmation.id.in_(confirmations), Confirmation.school_id == school_id
                )
            ):
                self.confirmation_contact[c_id] = contact_id
                contact_ids.add(contact_id)
            for c_id, pupil in db.session.execute(
                select(confirmation_pupil.c.confirmation_id, Pupil)
                .join(Pupil, Pupil.id == confirmation_pupil.c.pupil_id)
                .where(confirmation_pupil.c.confirmation_id.in_(confirmations))
                .order_by(Pupil.first_name)
            ):
                self.family.setdefault(c_id, f"{pupil.first_name} {pupil.last_name}")
        invitations = _ids(refs, "invitation")
        self.invitation_contact = {}
        if invitations:
            self.invitation_contact = dict(
                db.session.execute(
                    select(Invitation.id, Invitation.contact_id).where(
                        Invitation.id.in_(invitations), Invitation.school_id == school_id
                    )
                ).all()
            )
            contact_ids |= set(self.invitation_contact.values())
        self.contacts = self._pairs(
            Contact, contact_ids, school_id, lambda c: f"{c.first_name} {c.last_name}"
        )
        self.campaigns = self._pairs(Campaign, _ids(refs, "campaign"), school_id, lambda c: c.name)

    @staticmethod
    def _pairs(model, ids, school_id, name) -> dict[int, str]:
        if not ids:
            return {}
        rows = db.session.scalars(
            select(model).where(model.id.in_(ids), model.school_id == school_id)
        )
        return {row.id: name(row) for row in rows}

    def _ref(self, ref: str | None) -> tuple[str, int | None]:
        if ref and ":" in ref and ref.split(":", 1)[1].isdigit():
            kind, number = ref.split(":", 1)
            return kind, int(number)
        return ref or "", None

    def actor(self, event: AuditEvent) -> str:
        kind, number = self._ref(event.actor)
        if kind == "staff":
            return self.staff.get(number, "A former colleague")
        if kind == "contact":
            return self.contacts.get(number, "A parent or carer")
        if kind.startswith("system") or kind == "cli":
            return "ParentLink"
        return event.actor

    def sentence(self, event: AuditEvent) -> str:
        template = SENTENCES.get(event.action)
        detail = self.details.get(event.id, {})
        kind, number = self._ref(event.subject)
        contact_id = None
        if kind == "contact":
            contact_id = number
        elif kind == "confirmation":
            contact_id = self.confirmation_contact.get(number)
        elif kind == "invitation":
            contact_id = self.invitation_contact.get(number)
        if isinstance(detail.get("contact"), int):
            contact_id = detail["contact"]
        if event.actor.startswith("contact:") and contact_id is None:
            contact_id = self._ref(event.actor)[1]
        values = {
            "actor": self.actor(event),
            "contact": self.contacts.get(contact_id, "a parent or carer"),
            "family": self.family.get(number, "a pupil") if kind == "confirmation" else "",
            "campaign": self.campaigns.get(number, "") if kind == "campaign" else "",
            "channel": CHANNELS.get(str(detail.get("channel")), "a"),
            "households": _count(detail.get("invitations")),
        }
        if template is None:
            what = f"{event.action} on {event.subject}" if event.subject else event.action
            return f"{values['actor']}: {what}"
        return template.format(**values)


def _count(value) -> int:
    return len(value) if isinstance(value, list) else int(value or 0) if str(value).isdigit() else 0


def _detail(raw: str | None) -> dict:
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def kind_prefixes(kind: str | None) -> tuple[str, ...]:
    return KINDS[kind][1] if kind in KINDS else ()
