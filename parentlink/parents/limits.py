"""Rate limits on the parent pages (Flask-Limiter).

"Send me a new link" is limited per IP address here, and per contact in the use case (by
counting the new-link messages in the outbox, so that limit holds across every worker and
host). The per-IP counters live in PARENTLINK_RATELIMIT_STORAGE: `memory://` (the default)
counts per process, which suits one gunicorn worker; give several workers or hosts a shared
store such as `redis://host:6379` (see Flask-Limiter's storage documentation).

The pages of a personal link are never limited (see PERSONAL_LINK_PAGES).
"""

from __future__ import annotations

from flask import Response, make_response, render_template, request
from flask_babel import gettext as _
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address

NEW_LINK_PER_IP = "5 per 15 minutes;20 per day"

limiter = Limiter(key_func=get_remote_address)

# Pages reached by a personal link are never limited per IP address, whatever default
# limits a deployment sets: a school's families share a few addresses (the school's Wi-Fi,
# a mobile network's NAT), and a link's 128-bit token cannot be guessed. The limiter then
# skips them without resolving any limits (the agreement page is the busiest page).
PERSONAL_LINK_PAGES = frozenset(
    {
        "parents.agreement",
        "parents.withdraw_confirmation",
        "parents.choose_language",
        "concerns.report",
        "concerns.sent",
    }
)


@limiter.request_filter
def _personal_link_page() -> bool:
    return request.endpoint in PERSONAL_LINK_PAGES


def too_many(error: RateLimitExceeded) -> Response:
    """A friendly page (registered for RateLimitExceeded, more specific than HTTPException)."""
    page = render_template(
        "errors/error.html",
        code=429,
        title=_("Please wait a little"),
        text=_(
            "We have had a lot of requests from this connection. Please try again later, "
            "or ask the school office for a new link."
        ),
    )
    return make_response(page, 429)
