"""Fixtures shared by the office tests."""

from __future__ import annotations

import pytest

from parentlink.db import db
from tests.builders import school
from tests.office.sign_in import sign_in, staff_with_two_factor


@pytest.fixture
def admin_client(app, client):
    """A test client signed in (with two-factor) as the school's administrator."""
    with app.app_context():
        the_school = school()
        staff_with_two_factor(the_school.id, "admin@example.com", "admin")
        db.session.commit()
    sign_in(client, "admin@example.com", two_factor=True)
    return client
