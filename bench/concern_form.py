"""Benchmark: the parent's concern form against the budgets for parent pages.

    .venv/bin/python -m bench.concern_form

Prints the bytes a phone downloads for the form (HTML + the one stylesheet; budget 30 KB)
and its throughput as a ratio of a minimal Flask route served by the same app in the same
run (budget >= 50%). Not part of the test suite.
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime

from parentlink import create_app
from parentlink.core.clock import FrozenClock
from parentlink.schema import upgrade
from tests.concerns.family import seed

ROUNDS = 300


def _rate(client, url: str) -> float:
    client.get(url)  # warm
    start = time.perf_counter()
    for _ in range(ROUNDS):
        response = client.get(url)
        assert response.status_code == 200, response.status_code
    return ROUNDS / (time.perf_counter() - start)


def main() -> None:
    folder = tempfile.mkdtemp()
    app = create_app(
        {
            "ENV_NAME": "test",
            "TESTING": True,
            "SECRET_KEY": "bench-secret-key-bench-secret-key-0123",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db",
            "CLOCK": FrozenClock(datetime(2026, 9, 14, 9, 0, tzinfo=UTC)),
            "UPLOAD_DIR": f"{folder}/uploads",
        }
    )
    app.add_url_rule("/bench/minimal", "bench_minimal", lambda: "ok")
    with app.app_context():
        upgrade()
    token = seed(app)
    client = app.test_client()
    html = client.get(f"/a/{token}/concern").get_data()
    css = client.get("/static/parentlink.css").get_data()
    total = len(html) + len(css)
    form_rate = _rate(client, f"/a/{token}/concern")
    agreement_rate = _rate(client, f"/a/{token}")
    minimal_rate = _rate(client, "/bench/minimal")
    print(
        f"concern form: {len(html)} B HTML + {len(css)} B CSS = {total / 1024:.1f} KB"
        " (budget 30 KB)"
    )
    print(
        f"throughput: form {form_rate:.0f}/s, minimal route {minimal_rate:.0f}/s, "
        f"ratio {form_rate / minimal_rate:.0%} (budget >= 50%)"
    )
    print(
        f"for comparison, the agreement page: {agreement_rate:.0f}/s, "
        f"ratio {agreement_rate / minimal_rate:.0%}"
    )


if __name__ == "__main__":
    main()
