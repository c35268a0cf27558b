"""What every local stand-in for a provider's API shares: a threaded WSGI server on a free
loopback port, started and stopped with the test (or as a context manager), and a way to
call the app back as a provider does."""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
from typing import Self
from urllib.parse import urlsplit

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class LocalServer:
    """A subclass gives `_wsgi(environ, start_response)` and its thread's `name`."""

    name = "fake-provider"

    def __init__(self) -> None:
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def _wsgi(self, environ, start_response):  # pragma: no cover - every subclass has one
        raise NotImplementedError

    def start(self) -> Self:
        self._server = make_server(
            "127.0.0.1", 0, self._wsgi, threaded=True, request_handler=_QuietHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name=self.name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the server is not running: call start() first")
        return f"http://127.0.0.1:{self._server.server_port}"


def post_callback(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    ca: str | None = None,
    resolve: dict[str, str] | None = None,
) -> int:
    """POST to the app as a provider does; the app's HTTP status. To an https:// URL the
    server's certificate is checked for the URL's host name, against `ca` when given (the
    tests' own authority) or else the system's authorities; `resolve` maps a host name to
    the address to connect to (as curl --resolve: the tests have no DNS for it)."""
    target = urlsplit(url)
    host = target.hostname or ""
    https = target.scheme == "https"
    port = target.port or (443 if https else 80)
    kind = http.client.HTTPSConnection if https else http.client.HTTPConnection
    connection = kind(host, port, timeout=10)
    sock = socket.create_connection(((resolve or {}).get(host, host), port), timeout=10)
    if https:
        try:
            sock = ssl.create_default_context(cafile=ca).wrap_socket(sock, server_hostname=host)
        except BaseException:
            sock.close()
            raise
    connection.sock = sock  # connected (and verified) here; http.client only writes
    try:
        path = (target.path or "/") + (f"?{target.query}" if target.query else "")
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return int(response.status)
    finally:
        connection.close()
