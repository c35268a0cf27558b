"""Old staff sign-in attempts (and two-factor challenges) are deleted once no rate limit or
lockout can read them."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete

from parentlink.db import db
from parentlink.office.auth import attempts_read_for
from parentlink.office.models import LoginAttempt, SignInChallenge

MARGIN = timedelta(days=1)  # a settings change that widens the window still finds its rows


def purge_login_attempts(at: datetime) -> int:
    """Attempts older than the longest window they are read for, plus a day."""
    result = db.session.execute(
        delete(LoginAttempt)
        .where(LoginAttempt.at < at - attempts_read_for() - MARGIN)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        delete(SignInChallenge)
        .where(SignInChallenge.created_at < at - MARGIN)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
