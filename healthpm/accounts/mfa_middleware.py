"""Two-factor sign-in enforced on the server (healthpm/accounts/mfa.py).

A signed-in local account that has an authenticator app but whose session has not passed a
code (request.user.is_verified(), set by django-otp's OTPMiddleware) is sent to the code page;
one that must enrol (mfa.required_for) and has not is sent to the enrolment page. Until then
only signing out, the idle keep-alive and static files are reachable besides that page, so no
link, bookmark or htmx request reaches anything else.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from . import mfa

# Reachable before the second factor, besides the page the user is sent to.
ALWAYS_OPEN = ("logout", "keep_alive")


class TwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not user.is_verified() and mfa.is_local_account(user):
            target = "login_code" if mfa.has_device(user) else ("mfa_enrol" if mfa.required_for(user) else None)
            if target and not self._open(request.path_info, target):
                return self._send(request, target)
        return self.get_response(request)

    @staticmethod
    def _open(path: str, target: str) -> bool:
        if path.startswith(settings.STATIC_URL):
            return True
        return path in {reverse(name) for name in (target, *ALWAYS_OPEN)}

    @staticmethod
    def _send(request, target: str):
        url = reverse(target)
        if request.method == "GET" and not request.headers.get("HX-Request"):
            url = f"{url}?{urlencode({'next': request.get_full_path()})}"
        if request.headers.get("HX-Request"):
            # htmx would swap the page into a fragment; make the browser load it whole.
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return redirect(url)
