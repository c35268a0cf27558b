"""A personal link cannot be used to flood the safeguarding lead: each carer can send a few
reports an hour and a few more a day from their links (CONCERNS_PER_HOUR, CONCERNS_PER_DAY);
past that the page asks them, kindly and in their language, to wait or to phone the school.

The count is taken after a no-op UPDATE of the carer's row, which holds that row's lock (a
row lock on PostgreSQL, the write lock on SQLite) until the request commits, so parallel
reports from one carer are counted one after the other and none slips past the limit.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from parentlink.concerns.models import Concern, ConcernSource
from parentlink.core.clock import now
from parentlink.db import db
from parentlink.directory.models import Contact
from parentlink.schools.models import School


def _count_since(contact_id: int, hours: int) -> int:
    return db.session.scalar(
        select(func.count(Concern.id)).where(
            Concern.contact_id == contact_id,
            Concern.source == ConcernSource.LINK,
            Concern.reported_at >= now() - timedelta(hours=hours),
        )
    )


def may_report(contact: Contact) -> bool:
    """Whether this carer may send another report now (call once, before reporting)."""
    db.session.execute(
        update(Contact)
        .where(Contact.id == contact.id)
        .values(id=Contact.id)
        .execution_options(synchronize_session=False)
    )
    per_hour = int(current_app.config.get("CONCERNS_PER_HOUR", 3))
    per_day = int(current_app.config.get("CONCERNS_PER_DAY", 6))
    return _count_since(contact.id, 1) < per_hour and _count_since(contact.id, 24) < per_day


def wait_message(school: School) -> str:
    """For the parent, in the page's language."""
    if school.office_phone:
        return _(
            "Thank you: we have your reports, and the safeguarding lead will read every one. "
            "To give them time, you can send another one a little later. If you are worried "
            "about a child's safety now, please phone the school on %(phone)s.",
            phone=school.office_phone,
        )
    return _(
        "Thank you: we have your reports, and the safeguarding lead will read every one. "
        "To give them time, you can send another one a little later. If you are worried "
        "about a child's safety now, please phone the school."
    )
