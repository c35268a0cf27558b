"""Default rate limits (Flask-Limiter's RATELIMIT_DEFAULT, if a configuration sets one) never
apply to the pages of a personal link: a whole school may share one address."""

from __future__ import annotations

import pytest

from parentlink.parents.limits import limiter
from tests.parents.family import separated_parents


@pytest.fixture
def app_config():
    yield {"RATELIMIT_DEFAULT": "3 per minute"}
    # Flask-Limiter keeps default limits on its one Limiter once an app has set them: clear
    # them, or every later test in this process is limited too.
    limiter.limit_manager.set_default_limits([])


def test_a_shared_address_reaches_every_link_while_other_pages_are_limited(app):
    first, second = separated_parents(app)
    school_wifi = {"REMOTE_ADDR": "192.0.2.10"}
    for token in (first, second) * 4:  # eight families' visits from the school's Wi-Fi
        visit = app.test_client().get(f"/a/{token}", environ_base=school_wifi)
        assert visit.status_code == 200
        concern = app.test_client().get(f"/a/{token}/concern", environ_base=school_wifi)
        assert concern.status_code == 200
    statuses = [
        app.test_client().get("/privacy", environ_base=school_wifi).status_code for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]  # the deployment's default still holds elsewhere
