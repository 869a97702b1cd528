"""Automatic logoff after inactivity (HIPAA §164.312(a)(2)(iii)).

An unattended workstation on a ward must not stay signed in to a system whose evidence may
contain PHI and whose approvals carry legal weight. Every authenticated request stamps the
session; a request arriving more than HEALTHPM_IDLE_LOGOUT_SECONDS after the previous one
signs the user out first and sends them to the login page with the reason.

Two minutes before (HEALTHPM_IDLE_WARNING_SECONDS) the page warns and offers to stay signed in
(static/js/idle.js, which posts to accounts.views.keep_alive). The script learns how long is
left from the <body>'s data attributes (accounts.context_processors.idle_logout) and, after
an htmx request, from the IDLE_REMAINING_HEADER of its response.
"""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse
from django.shortcuts import redirect, resolve_url

from healthpm.audit.services import record

LAST_ACTIVITY_KEY = "healthpm_last_activity"
# Re-stamping at most this often keeps a session write off most requests (and at most a tenth
# of the limit, so a short limit still counts activity).
STAMP_GRANULARITY_SECONDS = 30
IDLE_REMAINING_HEADER = "X-Idle-Remaining"


def idle_remaining(request, now: int | None = None) -> int:
    """Seconds left before the session of this request is signed out for inactivity."""
    now = int(time.time()) if now is None else now
    last = request.session.get(LAST_ACTIVITY_KEY, now)
    return max(0, settings.HEALTHPM_IDLE_LOGOUT_SECONDS - (now - last))


def stamp_activity(request, now: int | None = None) -> None:
    request.session[LAST_ACTIVITY_KEY] = int(time.time()) if now is None else now


class IdleLogoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get(LAST_ACTIVITY_KEY)
            idle_limit = settings.HEALTHPM_IDLE_LOGOUT_SECONDS
            if last is not None and now - last > idle_limit:
                return self._sign_out(request, idle_limit)
            if last is None or now - last >= min(STAMP_GRANULARITY_SECONDS, idle_limit // 10):
                stamp_activity(request, now)
        response = self.get_response(request)
        if request.user.is_authenticated and LAST_ACTIVITY_KEY in request.session:
            response[IDLE_REMAINING_HEADER] = str(idle_remaining(request))
        return response

    def _sign_out(self, request, idle_limit):
        user = request.user
        record("session_timeout", actor=user, obj=user, after={"idle_limit_seconds": idle_limit})
        logout(request)
        minutes = max(1, round(idle_limit / 60))
        messages.info(request, f"You were signed out after {minutes} minute{'s' if minutes != 1 else ''} "
                               "without activity. Sign in again; anything you were sending was not saved.")
        login_url = resolve_url(settings.LOGIN_URL)
        next_path = request.get_full_path() if request.method == "GET" else ""
        target = f"{login_url}?{urlencode({'next': next_path})}" if next_path else login_url
        if request.headers.get("HX-Request"):
            # An htmx preview would swap the login page into the form; send the whole page there.
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return redirect(target)
