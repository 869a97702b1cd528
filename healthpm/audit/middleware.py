import ipaddress

from django.conf import settings

from .context import client_ip_var, request_user_var


def _address(value: str) -> str | None:
    """value as a normalised IP address, or None when it is not one (the column is an inet)."""
    value = value.strip()
    if not value or "%" in value:  # a zone id ("fe80::1%eth0") is not storable either
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The client's address for the audit trail and the login lockout (AXES_CLIENT_IP_CALLABLE).

    Behind the one reverse proxy the deployment runs (HEALTHPM_TRUST_X_FORWARDED_FOR), the
    client is the right-most X-Forwarded-For entry: the one that proxy appended. Entries to
    its left came from the client and can be forged (a spoofed address would dodge the
    lockout and lie in the trail). Anything that is not an IP address falls back to
    REMOTE_ADDR, since PostgreSQL refuses to store it and the request would fail.
    """
    if settings.HEALTHPM_TRUST_X_FORWARDED_FOR:
        forwarded = _address(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1])
        if forwarded:
            return forwarded
    return _address(request.META.get("REMOTE_ADDR") or "")


class AuditContextMiddleware:
    """Makes the client IP available to audit records written deep inside services.

    It also drops NUL characters from request headers: the login lockout (django-axes)
    stores the User-Agent and Accept headers as they came, and PostgreSQL cannot store a
    NUL, so one crafted header would turn every login into a server error.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for name, value in list(request.META.items()):
            if name.startswith("HTTP_") and isinstance(value, str) and "\x00" in value:
                request.META[name] = value.replace("\x00", "")
        ip_token = client_ip_var.set(client_ip(request))
        request_token = request_user_var.set(request)
        try:
            return self.get_response(request)
        finally:
            request_user_var.reset(request_token)
            client_ip_var.reset(ip_token)
