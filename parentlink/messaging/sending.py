"""Sending a claimed batch: a thread pool, paced per channel by a shared token bucket.

SMS go one request per message through the pool (each worker thread keeps its own HTTP
connection to Twilio). A batch's emails go one after another over one SMTP connection,
in one worker, alongside the SMS: a mail server answers one connection's commands in
turn, so more connections would only cost handshakes (and a relay may count or limit
them). A refusal of our rate (HTTP 429, an SMTP relay's throttling reply) slows the
channel's shared rate. Gateways never touch the database; the pool lives as long as the app.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

from flask import Flask, current_app

from parentlink.db import db
from parentlink.directory.models import Channel
from parentlink.messaging.gateways import gateway_for
from parentlink.messaging.gateways.base import Outgoing, SendResult
from parentlink.messaging.pacing import SharedTokenBucket

_POOL = "parentlink.dispatch_pool"
_BUCKETS = "parentlink.rate_limits"


def send_all(batch: list[Outgoing]) -> dict[int, SendResult]:
    app = current_app._get_current_object()
    pool = _pool(app)
    futures: list[tuple[list[Outgoing], Future]] = []
    for channel in Channel:
        items = [item for item in batch if item.channel == channel.value]
        if not items:
            continue
        gateway = gateway_for(channel)
        bucket = bucket_for(channel)
        # One request per message (Twilio, Notify): through the pool, each paced and able
        # to slow the shared rate on a 429. SMTP: one connection for the batch's emails.
        if getattr(gateway, "per_message", channel is Channel.SMS):
            for item in items:
                futures.append(([item], pool.submit(_send_one, app, gateway, bucket, item)))
        else:
            futures.append((items, pool.submit(_send_chunk, app, gateway, bucket, items)))
    results: dict[int, SendResult] = {}
    for items, future in futures:
        try:
            sent = future.result()
        except Exception as exc:  # a gateway bug must not lose the batch's other results
            sent = [SendResult.retry(f"the gateway failed: {exc!r}") for _ in items]
        results.update({item.message_id: r for item, r in zip(items, sent, strict=True)})
    return results


def bucket_for(channel: Channel) -> SharedTokenBucket:
    """The channel's rate limit, shared with every dispatcher on the same database."""
    app = current_app._get_current_object()
    buckets = app.extensions.setdefault(_BUCKETS, {})
    if channel not in buckets:
        key = "SMS_PER_SECOND" if channel is Channel.SMS else "EMAIL_PER_SECOND"
        buckets[channel] = SharedTokenBucket(db.engine, channel.value, app.config[key])
    return buckets[channel]


def _pool(app: Flask) -> ThreadPoolExecutor:
    pool = app.extensions.get(_POOL)
    if pool is None:
        pool = ThreadPoolExecutor(app.config["DISPATCH_THREADS"], thread_name_prefix="dispatch")
        app.extensions[_POOL] = pool
    return pool


def _send_one(app: Flask, gateway, bucket: SharedTokenBucket, item: Outgoing) -> list[SendResult]:
    bucket.take()
    with app.app_context():
        result = gateway.send(item)
    if result.slow_down:
        bucket.slow_down()
    return [result]


def _send_chunk(app: Flask, gateway, bucket: SharedTokenBucket, chunk: list[Outgoing]):
    with app.app_context():
        results = gateway.send_batch(chunk, pace=bucket.take)
    if any(result.slow_down for result in results):  # the relay refused our rate
        bucket.slow_down()
    return results
