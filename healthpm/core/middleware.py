import logging

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

log = logging.getLogger(__name__)

SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


class DatabaseErrorMiddleware:
    """A form sent while the database fails gets a 503 page saying nothing was saved, not a 500.

    Every write view makes one service call, which is one transaction (STYLE.md), and writes
    nothing after it; a DatabaseError escaping the view therefore means that transaction
    was rolled back and the user can simply try again. Reads (GET) keep Django's 500 page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DatabaseError) or request.method in SAFE_METHODS:
            return None
        log.error("%s %s: nothing saved, database error", request.method, request.path, exc_info=exception)
        unreachable = isinstance(exception, (OperationalError, InterfaceError))
        reason = "the database did not answer" if unreachable else "the database refused the change"
        if request.path.startswith("/api/"):
            # An API client reads RFC 9457 problem details, not a page; it may retry the same request.
            return JsonResponse({"type": "about:blank", "title": "Service unavailable", "status": 503,
                                 "detail": f"Nothing was saved: {reason}. Send the same request again in a moment."},
                                status=503, content_type="application/problem+json", headers={"Retry-After": "30"})
        context = {"reason": reason, "back": _back(request)}
        try:
            html = render_to_string("503.html", context, request=request)
        except Exception:  # the menu (user, roles) needs the database too: show the page without it
            html = render_to_string("503.html", context)
        return HttpResponse(html, status=503)


def _back(request) -> str:
    """The page the form was on, when it is one of ours."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()):
        return referer
    return reverse("home")
