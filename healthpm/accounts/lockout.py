"""A wrong password re-entered to sign counts like a failed login (21 CFR 11.300(d)).

Someone at an unlocked workstation must not be able to guess the officer's password on the
signature form without limit: the django-axes counters for the username and the address go
up, and the failure that reaches AXES_FAILURE_LIMIT signs the session out and shows the
lockout page (axes.middleware.AxesMiddleware renders it because the request is marked).
"""

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import logout


def password_reentry_failed(request) -> bool:
    """Count the failure; True when it locked the account (the session is then signed out)."""
    credentials = {"username": request.user.get_username()}
    AxesProxyHandler.user_login_failed(sender=password_reentry_failed, credentials=credentials, request=request)
    if getattr(request, "axes_locked_out", False):
        logout(request)
        return True
    return False


def login_code_failed(request, username: str) -> bool:
    """A wrong second-factor code at sign-in counts like a wrong password; True when it locked.

    The user is not signed in yet (the password was right, the code is still owed), so the
    username comes from the pending sign-in rather than from request.user.
    """
    credentials = {"username": username}
    AxesProxyHandler.user_login_failed(sender=login_code_failed, credentials=credentials, request=request)
    if getattr(request, "axes_locked_out", False):
        if request.user.is_authenticated:
            logout(request)
        return True
    return False


def login_allowed(request, username: str) -> bool:
    """False while django-axes locks this username (a code must not be tried then either)."""
    return AxesProxyHandler.is_allowed(request, {"username": username})
