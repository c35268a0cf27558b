"""Every model, imported once so metadata is complete (for Alembic and create_all)."""

from parentlink.agreements.models import (
    Agreement,
    AgreementVersion,
    Audience,
    Clause,
    ClauseTranslation,
)
from parentlink.campaigns.invitation_links import InvitationLink
from parentlink.campaigns.models import (
    Campaign,
    ClauseResponse,
    Confirmation,
    Invitation,
)
from parentlink.campaigns.rounds import TermRound
from parentlink.concerns.alerts import ConcernAlert, ConcernDigest
from parentlink.concerns.models import Concern, ConcernAttachment, ConcernEntry, ConcernView
from parentlink.core.audit import AuditEvent
from parentlink.core.jobruns import JobRun
from parentlink.core.leadership import JobLease
from parentlink.directory.models import (
    ColumnMapping,
    Contact,
    ImportUpload,
    Pupil,
    PupilContact,
)
from parentlink.messaging.models import DeliveryEvent, InboundMessage, Message
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
    "ClauseTranslation",
    "Closure",
    "Concern",
    "ConcernAlert",
    "ConcernDigest",
    "ConcernAttachment",
    "ConcernEntry",
    "ConcernView",
    "Confirmation",
    "Contact",
    "DeliveryEvent",
    "ImportUpload",
    "Invitation",
    "InvitationLink",
    "JobRun",
    "InboundMessage",
    "JobLease",
    "LoginAttempt",
    "Message",
    "Pupil",
    "PupilContact",
    "RecoveryCode",
    "School",
    "StaffUser",
    "Term",
    "TermRound",
]
