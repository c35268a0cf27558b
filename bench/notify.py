"""The Notify part of bench/messaging.py: 10,000 SMS through the dispatcher to the local
Notify-compatible server vs a bare loop over the same official client against the same
server, interleaved in rounds as the other parts are (goal >= 0.8).

    .venv/bin/python -m bench.messaging notify
"""

from __future__ import annotations

import time

from notifications_python_client.notifications import NotificationsAPIClient

from bench.messaging import ServerProcess, _interleaved, _text, dispatch, make_app, queue
from parentlink.directory.models import Channel


def bench_notify(url: str, n: int, rounds: int) -> float:
    notify = ServerProcess("notify")
    config = notify.address  # the app settings that send SMS through it
    try:
        client = NotificationsAPIClient(config["NOTIFY_API_KEY"], base_url=config["NOTIFY_API_URL"])
        client.request_session.trust_env = False  # as the gateway does for a local server
        template_id = config["NOTIFY_SMS_TEMPLATE_ID"]
        app = make_app(url, **config)

        def bare(numbers: range) -> float:
            started = time.perf_counter()
            send = client.send_sms_notification
            for i in numbers:
                send(
                    phone_number=f"+447700900{i % 1000:03d}",
                    template_id=template_id,
                    personalisation={"body": _text(i)},
                    reference=f"parentlink-{i}",
                )
            return time.perf_counter() - started

        def ours(numbers: range) -> float:
            queue(app, Channel.SMS, numbers)
            return dispatch(app)

        def check(count: int) -> None:
            sent, most, _ = notify.ask("stats")
            assert sent == count and most == 1, (sent, count, most)
            notify.ask("clear")

        return _interleaved("notify", n, rounds, bare, ours, check)
    finally:
        notify.stop()
