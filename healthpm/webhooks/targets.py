"""Where a webhook may be sent: https only, and never to this host or the hospital's inside by accident.

Checked in the model's clean() (the admin form) and again just before each POST, with the
host's addresses resolved then, since DNS can change after the endpoint was saved.

- https only; plain http only to a loopback host (127.0.0.1, localhost, ::1), and only with
  HEALTHPM_WEBHOOK_ALLOW_LOOPBACK on (the tests' local receiver).
- Loopback, link-local (cloud metadata at 169.254.169.254), unspecified, multicast and
  reserved addresses are refused (SSRF); loopback only with HEALTHPM_WEBHOOK_ALLOW_LOOPBACK.
- Private (RFC 1918 / unique-local) addresses are refused unless HEALTHPM_WEBHOOK_ALLOW_PRIVATE
  is on: a hospital's own integration engine often lives there, but allowing it is a decision.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


def target_problem(url: str, *, resolve: bool = False) -> str | None:
    """Why `url` may not receive webhooks, in words for the person who typed it; None when it may."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018  (raises ValueError on a malformed port)
    except ValueError:
        return "Enter a valid https:// address."
    if not host:
        return "Enter a valid https:// address."
    if parts.username or parts.password:
        return "Do not put a user name or password in the address; the signature authenticates each delivery."
    allow_loopback = settings.HEALTHPM_WEBHOOK_ALLOW_LOOPBACK
    if parts.scheme == "http":
        if host in LOOPBACK_NAMES and allow_loopback:
            return None
        return (f"{url} is not https: webhooks are sent over https only "
                "(plain http only to this machine's loopback address, in tests).")
    if parts.scheme != "https":
        return f"{url} is not an https:// address."
    if host in LOOPBACK_NAMES:
        return None if allow_loopback else f"{host} is this machine: webhooks are not sent to loopback addresses."
    addresses = _literal(host)
    if addresses is None and resolve:
        try:
            addresses = [ipaddress.ip_address(info[4][0].split("%")[0])
                         for info in socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)]
        except (OSError, ValueError) as exc:
            return f"{host} could not be resolved ({exc})."
    for address in addresses or []:
        problem = _address_problem(host, address, allow_loopback)
        if problem:
            return problem
    return None


def _literal(host: str) -> list | None:
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        return None


def _address_problem(host: str, address, allow_loopback: bool) -> str | None:
    if address.is_loopback:
        return None if allow_loopback else f"{host} is a loopback address: webhooks are not sent to this machine."
    if address.is_link_local or address.is_unspecified or address.is_multicast or address.is_reserved:
        return f"{host} ({address}) is not a routable public address."
    if address.is_private and not settings.HEALTHPM_WEBHOOK_ALLOW_PRIVATE:
        return (f"{host} ({address}) is a private network address: set HEALTHPM_WEBHOOK_ALLOW_PRIVATE "
                "to send webhooks inside the hospital network.")
    return None
