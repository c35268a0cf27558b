"""Every model, imported once so metadata is complete (for Alembic and create_all)."""

from parentlink.agreements.models import Agreement, AgreementVersion, Audience, Clause
from parentlink.campaigns.models import (
    Campaign,
    ClauseResponse,
    Confirmation,
    Invitation,
)
from parentlink.concerns.models import Concern
from parentlink.core.audit import AuditEvent
from parentlink.directory.models import Contact, Pupil, PupilContact
from parentlink.messaging.models import DeliveryEvent, InboundMessage, Message
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
    "Confirmation",
    "Contact",
    "DeliveryEvent",
    "Invitation",
    "InboundMessage",
    "Message",
    "Pupil",
    "PupilContact",
    "School",
    "StaffUser",
    "Term",
]
