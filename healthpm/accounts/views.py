"""The login with its second-factor step, two-factor enrolment, and the idle-logout warning's "Stay signed in".

The second factor's rules are in mfa.py; these views hold the request's part: the pending
sign-in between the password and the code (kept in the session, never signed in before the
code), django-axes counting a wrong code like a wrong password, and the pages.
"""

import time

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from healthpm.audit.services import record

from . import lockout, mfa
from .forms import ConfirmDeviceForm, CurrentCodeForm, LoginCodeForm, LoginForm
from .middleware import idle_remaining, stamp_activity

PENDING_KEY = "healthpm_mfa_pending"
WRONG_CODE = ("That code is not correct. Enter the code your authenticator app shows now, or an unused "
              "recovery code. Wrong codes count as failed sign-ins: after {limit} in a row sign-in is locked.")


class LoginView(auth_views.LoginView):
    """Django's login, with the code step for accounts that have an authenticator app.

    After the right password such a user is not signed in yet: who they are and where they
    were going wait in the session for PENDING_LOGIN_SECONDS, and the code page signs them in.
    """

    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        if not mfa.code_needed(user):
            return super().form_valid(form)
        self.request.session[PENDING_KEY] = {
            "user": user.pk, "backend": user.backend, "next": self.get_success_url(), "at": int(time.time()),
        }
        return redirect("login_code")


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return resolve_url(fallback)


def _pending(request):
    """(user, next URL) of the sign-in waiting for its code, or None when there is none or it expired."""
    pending = request.session.get(PENDING_KEY)
    if not pending:
        return None
    if time.time() - pending.get("at", 0) > mfa.PENDING_LOGIN_SECONDS:
        del request.session[PENDING_KEY]
        messages.info(request, f"The code was not entered within {mfa.PENDING_LOGIN_SECONDS // 60} minutes. "
                               "Enter your username and password again.")
        return None
    user = get_user_model().objects.filter(pk=pending["user"], is_active=True).first()
    if user is None:
        del request.session[PENDING_KEY]
        return None
    user.backend = pending["backend"]
    return user, pending["next"]


def login_code(request):
    """The second step of signing in (or of a session signed in without one, e.g. by an admin tool)."""
    if request.user.is_authenticated:
        user = request.user
        if user.is_verified() or not mfa.code_needed(user):
            return redirect(_safe_next(request, settings.LOGIN_REDIRECT_URL))
        next_url = _safe_next(request, settings.LOGIN_REDIRECT_URL)
    else:
        found = _pending(request)
        if found is None:
            return redirect("login")
        user, next_url = found
    username = user.get_username()
    form = LoginCodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        device = mfa.verify(user, form.cleaned_data["code"]) if lockout.login_allowed(request, username) else None
        if device is not None:
            request.session.pop(PENDING_KEY, None)
            if request.user.is_authenticated:
                request.session.cycle_key()
            else:
                auth_login(request, user, backend=user.backend)
            django_otp.login(request, device)
            return redirect(next_url)
        mfa.failed(user, purpose="sign-in")
        if lockout.login_code_failed(request, username):
            request.session.pop(PENDING_KEY, None)
            return redirect("login")  # AxesMiddleware answers with the lockout page
        form.add_error("code", WRONG_CODE.format(limit=settings.AXES_FAILURE_LIMIT))
        wait = mfa.seconds_to_wait(user)
        if wait:
            form.add_error("code", f"Wait {wait} second{'s' if wait != 1 else ''} before the next try.")
    if request.method == "POST":
        status = 400 if form.errors else status
    return render(request, "registration/login_code.html", {
        "form": form, "next": next_url if request.user.is_authenticated else "",
        "expires_minutes": mfa.PENDING_LOGIN_SECONDS // 60, "signed_in": request.user.is_authenticated,
    }, status=status)


@login_required
def enrol(request):
    """Two-factor sign-in: set up an authenticator app (QR code), or see that it is on."""
    user = request.user
    if not mfa.is_local_account(user):
        return _second_factor_at_provider(request)
    if mfa.has_device(user):
        return render(request, "accounts/mfa_status.html", {
            "codes_left": mfa.recovery_codes_left(user), "required": mfa.required_for(user),
        })
    if request.method == "POST":
        device = mfa.pending_device(user, create=False)
        if device is None:  # the key is made by showing the QR code, never by a post
            return redirect("mfa_enrol")
    else:
        device = mfa.pending_device(user)
    form = ConfirmDeviceForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            codes = mfa.confirm(user, device, form.cleaned_data["code"])
            if codes is not None:
                device.refresh_from_db()
                django_otp.login(request, device)
                return _show_codes(request, codes, first=True)
            form.add_error("code", "That code is not correct. Check that the app shows healthpm, that the "
                                   "phone's clock is right, and enter the code it shows now.")
    return render(request, "accounts/mfa_enrol.html", {
        "form": form, "qr": mfa.qr_data_uri(device), "secret": mfa.secret_for_display(device),
        "required": mfa.required_for(user), "next": _safe_next(request, settings.LOGIN_REDIRECT_URL),
    }, status=status)


@login_required
def recovery_codes(request):
    """New recovery codes (the old ones stop working), for the holder of the authenticator app."""
    user = request.user
    if not mfa.is_local_account(user):
        return _second_factor_at_provider(request)
    if not mfa.has_device(user):
        return redirect("mfa_enrol")
    form = CurrentCodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            if mfa.verify(user, form.cleaned_data["code"], recovery=False) is not None:
                codes = mfa.new_recovery_codes(user)
                record("mfa_recovery_codes_renewed", actor=user, obj=user, after={"user": user.get_username()})
                return _show_codes(request, codes, first=False)
            mfa.failed(user, purpose="new recovery codes")
            if lockout.password_reentry_failed(request):
                return redirect("login")
            form.add_error("code", "That code is not correct. Enter the code your authenticator app shows now. "
                                   "Wrong codes count as failed sign-ins.")
    return render(request, "accounts/mfa_recovery_codes_form.html", {"form": form}, status=status)


def _second_factor_at_provider(request):
    messages.info(request, "You sign in through your organisation, whose sign-in asks for your second factor: "
                           "there is nothing to set up in healthpm.")
    return redirect("home")


def _show_codes(request, codes: list[str], *, first: bool):
    """The codes, once: they are not kept anywhere a page could show them again."""
    response = render(request, "accounts/mfa_recovery_codes.html", {
        "codes": [mfa.format_code(c) for c in codes], "first": first,
        "next": _safe_next(request, settings.LOGIN_REDIRECT_URL),
    })
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def keep_alive(request):
    """Restart the idle clock of a signed-in session (the session middleware saves it).

    A POST with the CSRF token, so another site cannot keep a session alive; idle.js sends the
    dialog's form with fetch and reads the JSON, and without script the form posts here and comes
    back to the page it was on. An expired session never reaches this view: the idle-logout
    middleware has already signed it out and redirected to the login page.
    """
    stamp_activity(request)
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"remaining_seconds": idle_remaining(request)})
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        back = "home"
    return redirect(back)
