"""A local receiver (http.server on 127.0.0.1 in a thread) and endpoints that point at it."""

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from healthpm.webhooks.models import WebhookEndpoint
from healthpm.webhooks.services import new_secret
from tests.factories import UserFactory


@dataclass
class Receiver:
    url: str
    statuses: list[int]
    received: list[tuple[dict, bytes]] = field(default_factory=list)


@pytest.fixture(autouse=True)
def _loopback_allowed(settings):
    settings.HEALTHPM_WEBHOOK_ALLOW_LOOPBACK = True
    settings.HEALTHPM_WEBHOOK_TIMEOUT = 5


@pytest.fixture
def receiver():
    """receiver(200) / receiver(500, 200): answers each POST with the next status (the last repeats)."""
    servers = []

    def start(*statuses: int) -> Receiver:
        box = Receiver(url="", statuses=list(statuses) or [200])

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                box.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = box.statuses.pop(0) if len(box.statuses) > 1 else box.statuses[0]
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):  # keep pytest's output clean
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        box.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        return box

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def make_endpoint(db):
    """make_endpoint(url, events) → (endpoint, its secret)."""

    def make(url: str, events: list[str], **kw) -> tuple[WebhookEndpoint, str]:
        secret = new_secret()
        endpoint = WebhookEndpoint(url=url, events=events, **kw)
        endpoint.set_secret(secret)
        endpoint.full_clean()
        endpoint.save()
        return endpoint, secret

    return make


@pytest.fixture
def administrator(db):
    return UserFactory(username="ada", first_name="Ada", last_name="Admin", is_staff=True, is_superuser=True)
