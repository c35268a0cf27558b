"""Every model, imported once so metadata is complete (for Alembic and create_all)."""

from parentlink.agreements.models import Agreement, AgreementVersion, Audience, Clause
from parentlink.campaigns.models import (
    Campaign,
    ClauseResponse,
    Confirmation,
    Invitation,
)
from parentlink.concerns.models import Concern, ConcernAttachment, ConcernEntry, ConcernView
from parentlink.core.audit import AuditEvent
from parentlink.directory.models import Contact, Pupil, PupilContact
from parentlink.messaging.models import DeliveryEvent, Message
from parentlink.office.models import StaffUser
from parentlink.schools.models import Closure, School, Term

__all__ = [
    "Agreement",
    "AgreementVersion",
    "Audience",
    "AuditEvent",
    "Campaign",
    "Clause",
    "ClauseResponse",
    "Closure",
    "Concern",
    "ConcernAttachment",
    "ConcernEntry",
    "ConcernView",
    "Confirmation",
    "Contact",
    "DeliveryEvent",
    "Invitation",
    "Message",
    "Pupil",
    "PupilContact",
    "School",
    "StaffUser",
    "Term",
]
