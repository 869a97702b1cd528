from django.conf import settings

from .context import client_ip_var


def client_ip(request) -> str | None:
    if settings.HEALTHPM_TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


class AuditContextMiddleware:
    """Makes the client IP available to audit records written deep inside services."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = client_ip_var.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            client_ip_var.reset(token)
