"""A gateway that sends nothing: each message becomes one JSON line in a file.

Demos and development use it; the `/dev/outbox` page shows the file with `read_sandbox()`.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from parentlink.messaging.gateways.base import Outgoing, SendResult

_write_lock = threading.Lock()  # one process-wide lock: gateways may share a file


class SandboxGateway:
    def __init__(self, channel: str, path: str | Path) -> None:
        self.channel = channel
        self.path = Path(path)

    def send(self, outgoing: Outgoing) -> SendResult:
        return self.send_batch([outgoing])[0]

    def send_batch(
        self, batch: list[Outgoing], pace: Callable[[], None] | None = None
    ) -> list[SendResult]:
        if not batch:
            return []
        if pace is not None:
            for _ in batch:
                pace()
        records = [self._record(outgoing) for outgoing in batch]
        text = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One write per batch on an O_APPEND file: lines from threads (and, for writes the
        # kernel does in one go, processes) never interleave.
        with _write_lock, self.path.open("a", encoding="utf-8") as file:
            file.write(text)
        return [SendResult.accepted(record["provider_id"], "sandboxed") for record in records]

    def find_accepted(self, outgoing: Outgoing, since: datetime) -> str | None:
        """The sandbox file is the provider's log: look for this message's line."""
        for record in read_sandbox(self.path, limit=10_000):
            if record.get("id") == outgoing.message_id and record.get("body") == outgoing.body:
                return str(record["provider_id"])
        return None

    def _record(self, outgoing: Outgoing) -> dict[str, Any]:
        return {
            "id": outgoing.message_id,
            "channel": outgoing.channel or self.channel,
            "to": outgoing.to,
            "subject": outgoing.subject,
            "body": outgoing.body,
            "html": outgoing.html,
            "message_ref": outgoing.message_ref,
            "at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "provider_id": "SB" + secrets.token_hex(16),
        }


def read_sandbox(path: str | Path, limit: int = 200) -> list[dict[str, Any]]:
    """The newest `limit` messages in the sandbox file, newest first; [] if there is none."""
    try:
        with Path(path).open(encoding="utf-8") as file:
            lines = deque(file, maxlen=max(limit, 0))
    except FileNotFoundError:
        return []
    records = []
    for line in reversed(lines):
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line being written right now, or a damaged one
        if isinstance(record, dict):
            records.append(record)
    return records
