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
from parentlink.directory.models import (
    ColumnMapping,
    Contact,
    ImportUpload,
    Pupil,
    PupilContact,
)
from parentlink.messaging.models import DeliveryEvent, Message
from parentlink.office.models import LoginAttempt, RecoveryCode, StaffUser
from parentlink.schools.models import Closure, School, Term

__all__ = [
    "Agreement",
    "AgreementVersion",
    "Audience",
    "AuditEvent",
    "Campaign",
    "Clause",
    "ColumnMapping",
    "ClauseResponse",
    "Closure",
    "Concern",
    "Confirmation",
    "Contact",
    "DeliveryEvent",
    "ImportUpload",
    "Invitation",
    "LoginAttempt",
    "Message",
    "Pupil",
    "PupilContact",
    "RecoveryCode",
    "School",
    "StaffUser",
    "Term",
]
