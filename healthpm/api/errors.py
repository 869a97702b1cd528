"""Every API error as RFC 9457 problem details (application/problem+json)."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler

PROBLEM = "application/problem+json"
TITLES = {
    400: "Invalid request", 401: "Not authenticated", 403: "Forbidden", 404: "Not found",
    405: "Method not allowed", 406: "Not acceptable", 409: "Conflict", 413: "Too large",
    415: "Unsupported media type", 429: "Too many requests",
}


def _field_errors(detail, prefix: str = "") -> list[dict]:
    """[{"field": "expiry_date", "detail": "…"}] from DRF's nested error dict."""
    out = []
    if isinstance(detail, dict):
        for field, value in detail.items():
            name = f"{prefix}.{field}" if prefix else str(field)
            out.extend(_field_errors(value, "" if name in ("non_field_errors", "__all__") else name))
    elif isinstance(detail, list):
        for value in detail:
            out.extend(_field_errors(value, prefix))
    else:
        out.append({"field": prefix or None, "detail": str(detail)})
    return out


def problem(status_code: int, detail: str, *, errors: list | None = None, headers=None) -> Response:
    body = {"type": "about:blank", "title": TITLES.get(status_code, "Error"), "status": status_code,
            "detail": detail}
    if errors is not None:
        body["errors"] = errors
    return Response(body, status=status_code, content_type=PROBLEM, headers=headers)


def exception_handler(exc, context):
    response = drf_handler(exc, context)
    if response is None:
        return None  # not an API error (a bug): let Django's 500 handling see it
    headers = {name: response[name] for name in ("Retry-After", "WWW-Authenticate", "Allow") if name in response}
    if isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(exc.detail)
        fields = [e["field"] for e in errors if e["field"]]
        detail = ("Check " + ", ".join(dict.fromkeys(fields)) + ".") if fields else errors[0]["detail"]
        return problem(response.status_code, detail, errors=errors, headers=headers)
    if isinstance(exc, Http404):
        detail = str(exc) or "Not found, or not visible to you."
    elif isinstance(exc, PermissionDenied):
        detail = str(exc) or "You may not do this."
    elif isinstance(exc, exceptions.Throttled):
        detail = f"Rate limit reached for this token: retry after {exc.wait:.0f} seconds." if exc.wait else str(exc.detail)
    else:
        detail = str(getattr(exc, "detail", "")) or TITLES.get(response.status_code, "Error")
    if response.status_code == status.HTTP_401_UNAUTHORIZED and not isinstance(exc, exceptions.AuthenticationFailed):
        detail = "Send an API token: “Authorization: Bearer hpm_…” (create one at /api/tokens/)."
    return problem(response.status_code, detail, headers=headers)
