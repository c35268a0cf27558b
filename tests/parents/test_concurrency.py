"""Real concurrent HTTP requests (threads against the live server): two carers confirming the
same child at the same moment are both recorded and the child is counted once; the same link
submitted twice at once records one confirmation."""

from __future__ import annotations

import threading
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

from sqlalchemy import func, select

from parentlink.campaigns.models import Campaign, Confirmation
from parentlink.campaigns.queries import Coverage, pupil_coverage
from parentlink.db import db
from tests.parents.family import answers, separated_parents


class Browser:
    """One parent's phone: its own cookies (so its own CSRF session)."""

    def __init__(self) -> None:
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def get(self, url: str) -> str:
        with self.opener.open(url, timeout=30) as response:
            return response.read().decode("utf-8")

    def post(self, url: str, data: dict) -> int:
        body = urllib.parse.urlencode(data).encode()
        with self.opener.open(url, data=body, timeout=30) as response:
            return response.status


def _at_once(*calls) -> list:
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        try:
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_carers_confirming_the_same_child_at_once_are_both_recorded(live_app):
    base = live_app.config["PUBLIC_URL"]
    mother, father = separated_parents(live_app)
    phones = {token: Browser() for token in (mother, father)}
    forms = {token: answers(live_app, phones[token].get(f"{base}/a/{token}")) for token in phones}
    results = _at_once(
        *(lambda t=token: phones[t].post(f"{base}/a/{t}", forms[t]) for token in phones)
    )
    assert results == [200, 200]  # each followed the redirect to their receipt
    with live_app.app_context():
        confirmations = db.session.scalars(select(Confirmation)).all()
        assert len(confirmations) == 2
        assert all("Amelia" in [p.first_name for p in c.pupils] for c in confirmations)
        campaign = db.session.scalar(select(Campaign))
        assert pupil_coverage(campaign.id) == Coverage(pupils=2, covered=2)  # Amelia once


def test_the_same_link_submitted_twice_at_once_records_one_confirmation(live_app):
    base = live_app.config["PUBLIC_URL"]
    mother, _ = separated_parents(live_app)
    phone = Browser()
    form = answers(live_app, phone.get(f"{base}/a/{mother}"))
    results = _at_once(*(lambda: phone.post(f"{base}/a/{mother}", form) for _ in range(4)))
    assert results == [200] * 4
    with live_app.app_context():
        assert db.session.scalar(select(func.count(Confirmation.id))) == 1
