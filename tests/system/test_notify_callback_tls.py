"""The local Notify server calls back to an https:// URL as GOV.UK Notify does: it checks
the server's certificate for the URL's host name, so a rehearsal's callbacks through nginx
prove the certificate, not just the route. The tests' own authority is trusted only when
named (`callback_ca`); `resolve` stands in for DNS."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.fakes.notify_api import NotifyCompatibleServer
from tests.system.tls import issue


class Receiver:
    """An https:// server that answers 204 and keeps what it got."""

    def __init__(self, folder) -> None:
        self.certificate = issue(folder)
        self.received: list[dict] = []
        context = (str(self.certificate.chain), str(self.certificate.key))
        self.server = make_server("127.0.0.1", 0, self._wsgi, threaded=True, ssl_context=context)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        self.received.append(
            {
                "host": request.host,
                "path": request.path,
                "authorization": request.headers.get("Authorization"),
                "json": request.get_json(),
            }
        )
        return Response("", status=204)(environ, start_response)


@pytest.fixture
def receiver(tmp_path) -> Iterator[Receiver]:
    found = Receiver(tmp_path)
    found.thread.start()
    yield found
    found.server.shutdown()
    found.server.server_close()


@pytest.fixture
def notify(receiver) -> Iterator[NotifyCompatibleServer]:
    with NotifyCompatibleServer() as server:
        server.inbound_url = f"https://parentlink.test:{receiver.port}/webhooks/notify/inbound"
        server.resolve = {"parentlink.test": "127.0.0.1", "school.example.com": "127.0.0.1"}
        yield server


def test_a_callback_to_https_checks_the_certificate_for_the_host_name(notify, receiver):
    notify.callback_ca = str(receiver.certificate.ca)
    assert notify.post_inbound("447700900123", "Thank you") == 204
    (got,) = receiver.received
    assert got["host"] == f"parentlink.test:{receiver.port}"
    assert got["path"] == "/webhooks/notify/inbound"
    assert got["authorization"] == f"Bearer {notify.callback_token}"
    assert got["json"]["source_number"] == "447700900123"


def test_a_certificate_from_an_authority_notify_does_not_trust_is_refused(notify, receiver):
    with pytest.raises(ssl.SSLCertVerificationError, match="self-signed certificate in"):
        notify.post_inbound("447700900123", "Thank you")
    assert receiver.received == []


def test_a_certificate_for_another_host_name_is_refused(notify, receiver):
    notify.callback_ca = str(receiver.certificate.ca)
    notify.inbound_url = f"https://school.example.com:{receiver.port}/webhooks/notify/inbound"
    with pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"):
        notify.post_inbound("447700900123", "Thank you")
    assert receiver.received == []
