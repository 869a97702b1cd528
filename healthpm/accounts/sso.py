"""The SSO pages: sign-in, the provider's callback, re-authentication for signing, session limits.

One redirect URI (``/accounts/sso/callback/``) serves both a sign-in and a signature's
re-authentication, so a hospital registers one URI with its provider. The ``state`` returned by
the provider says which of the two this browser started; a state this browser did not start is
refused and recorded, and nothing is signed or signed in.
"""

import time
from urllib.parse import urlencode, urlsplit

import requests
from django.conf import settings
from django.contrib import auth, messages
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from mozilla_django_oidc.utils import absolutify, generate_code_challenge
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from healthpm.audit.services import record
from healthpm.core.errors import WorkflowError

from . import oidc
from .models import SsoIdentity

SSO_SIGNED_IN_AT = "healthpm_sso_signed_in_at"
REAUTH_PENDING = "healthpm_sso_reauth_pending"
REAUTH_PROOF = "healthpm_sso_reauth_proof"
# A re-authentication not completed within this long is forgotten.
REAUTH_PENDING_SECONDS = 600
PROVIDER_DOWN = ("{org} did not answer. Nothing was changed; try again in a moment, or ask IT whether "
                 "the sign-in service is down.")


def organisation() -> str:
    return settings.OIDC_ORGANISATION_NAME


def _failure(request, reason: str, *, status: int, detail: str = ""):
    """The page saying why sign-in did not complete; the refusal and its technical detail are recorded."""
    actor = request.user if request.user.is_authenticated else None
    record("sso_login_failed", actor=actor, actor_label="" if actor else "sso", after={"reason": reason, "detail": detail[:500]})
    return render(request, "registration/sso_failed.html", {"reason": reason, "organisation": organisation()},
                  status=status)


class SsoLoginView(OIDCAuthenticationRequestView):
    """Sends the browser to the provider (code flow, PKCE S256, state and nonce in the session)."""

    def __init__(self, *args, **kwargs):
        # The library reads a fixed endpoint setting here; ours is discovered at request time.
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID

    def get(self, request):
        if not oidc.enabled():
            raise Http404
        try:
            self.OIDC_OP_AUTH_ENDPOINT = oidc.endpoint("authorization_endpoint")
        except (requests.RequestException, ValueError, ImproperlyConfigured) as exc:
            return _failure(request, PROVIDER_DOWN.format(org=organisation()), status=503, detail=str(exc))
        return super().get(request)


class SsoCallbackView(OIDCAuthenticationCallbackView):
    """The provider's answer: a sign-in, or the re-authentication a signature asked for."""

    def get(self, request):
        if not oidc.enabled():
            raise Http404
        state = request.GET.get("state", "")
        if state and state in request.session.get(REAUTH_PENDING, {}):
            return _complete_reauthentication(request, state)
        try:
            return super().get(request)
        except SuspiciousOperation as exc:
            # A state this browser never sent (tampered, replayed, or from another browser), a
            # nonce that does not match, a token that fails its checks.
            return _failure(request, f"The answer from {organisation()} did not match a sign-in started in "
                                     "this browser, so it was refused. Start again from the sign-in page.",
                            status=400, detail=str(exc))
        except (requests.RequestException, ValueError, ImproperlyConfigured) as exc:
            return _failure(request, PROVIDER_DOWN.format(org=organisation()), status=503, detail=str(exc))

    def login_success(self):
        response = super().login_success()
        self.request.session[SSO_SIGNED_IN_AT] = int(time.time())
        return response

    def login_failure(self):
        error = self.request.GET.get("error", "")
        if error:
            description = self.request.GET.get("error_description", "") or error
            return _failure(self.request, f"{organisation()} did not sign you in: {description}.", status=403,
                            detail=error)
        user = getattr(self, "user", None)
        if user is not None and not user.is_active:
            return _failure(self.request, "Your healthpm account is deactivated. Ask "
                                          f"{settings.HEALTHPM_ACCESS_CONTACT} if this is a mistake.",
                            status=403, detail=user.get_username())
        return _failure(self.request, f"{organisation()} did not sign you in. Start again from the sign-in page.",
                        status=403)


# --- Re-authentication for a signature (21 CFR 11.200(a)) ---------------------------------


def begin_reauthentication(request, *, purpose: dict, resume_url: str) -> HttpResponseRedirect:
    """Send the signed-in SSO user to the provider with a forced login (prompt=login, max_age=0).

    ``purpose`` (what the user was about to do: "action" and "target" name it) and ``resume_url``
    (where to finish it) wait in the session under a fresh state; the callback stores the
    provider's answer under REAUTH_PROOF and redirects to ``resume_url``, whose service checks it with
    ``oidc.reauthentication_refusal``.
    """
    state = get_random_string(32)
    nonce = get_random_string(32)
    verifier = get_random_string(64)
    params = {
        "response_type": "code",
        "scope": settings.OIDC_RP_SCOPES,
        "client_id": settings.OIDC_RP_CLIENT_ID,
        "redirect_uri": absolutify(request, reverse("sso_callback")),
        "state": state,
        "nonce": nonce,
        "code_challenge": generate_code_challenge(verifier, "S256"),
        "code_challenge_method": "S256",
        "prompt": "login",
        "max_age": "0",
    }
    now = time.time()
    pending = {s: p for s, p in request.session.get(REAUTH_PENDING, {}).items()
               if now - p["started"] < REAUTH_PENDING_SECONDS}
    try:
        authorization_endpoint = oidc.endpoint("authorization_endpoint")
    except (requests.RequestException, ValueError, ImproperlyConfigured) as exc:
        raise WorkflowError(PROVIDER_DOWN.format(org=organisation())) from exc
    pending[state] = {"nonce": nonce, "verifier": verifier, "purpose": purpose, "resume": resume_url, "started": now}
    request.session[REAUTH_PENDING] = pending
    return HttpResponseRedirect(f"{authorization_endpoint}?{urlencode(params)}")


def allow_form_to_provider(response):
    """Let this page's form continue to the provider: the Content-Security-Policy's form-action
    also covers where a form's answer redirects, and the signature form's answer is the provider."""
    try:
        parts = urlsplit(oidc.endpoint("authorization_endpoint"))
    except (requests.RequestException, ValueError, ImproperlyConfigured):
        return response  # the form will say the provider did not answer
    response._csp_update = {"form-action": [f"{parts.scheme}://{parts.netloc}"]}
    return response


def _complete_reauthentication(request, state: str):
    pending = request.session[REAUTH_PENDING].pop(state)
    request.session.modified = True
    proof = {"issuer": "", "subject": "", "auth_time": None, "error": "", "purpose": pending["purpose"]}
    if request.GET.get("error"):
        proof["error"] = request.GET.get("error_description") or request.GET["error"]
    else:
        backend = oidc.HospitalOIDCBackend()
        try:
            tokens = backend.get_token({
                "client_id": settings.OIDC_RP_CLIENT_ID,
                "client_secret": settings.OIDC_RP_CLIENT_SECRET,
                "grant_type": "authorization_code",
                "code": request.GET.get("code", ""),
                "redirect_uri": absolutify(request, reverse("sso_callback")),
                "code_verifier": pending["verifier"],
            })
            claims = backend.verify_token(tokens.get("id_token"), nonce=pending["nonce"])
        except SuspiciousOperation as exc:
            proof["error"] = f"the answer failed its checks ({exc})"
        except (requests.RequestException, ValueError, ImproperlyConfigured):
            proof["error"] = PROVIDER_DOWN.format(org=organisation())
        else:
            proof.update(issuer=claims["iss"], subject=claims["sub"], auth_time=claims.get("auth_time"))
    request.session[REAUTH_PROOF] = proof
    return redirect(pending["resume"])


def take_reauthentication(request, *, action: str, target) -> tuple[oidc.Reauthentication, dict] | None:
    """The provider's answer for ``action`` on ``target`` and what was asked, removed from the session
    (an answer is used once); None when this browser has no answer for them."""
    proof = request.session.get(REAUTH_PROOF)
    if not proof or (proof["purpose"].get("action"), proof["purpose"].get("target")) != (action, target):
        return None
    del request.session[REAUTH_PROOF]
    answer = oidc.Reauthentication(issuer=proof["issuer"], subject=proof["subject"], auth_time=proof["auth_time"],
                                   error=proof["error"])
    return answer, proof["purpose"]


@csrf_exempt  # the provider's server posts here, signed: the logout token is the proof
@require_POST
def backchannel_logout(request):
    """The provider says this person signed out there: their healthpm sessions end at their next request."""
    if not oidc.enabled():
        raise Http404
    try:
        claims = oidc.verify_logout_token(request.POST.get("logout_token", ""))
    except SuspiciousOperation as exc:
        record("sso_logout_refused", actor_label="sso", after={"reason": str(exc)[:500]})
        return HttpResponseBadRequest("invalid logout token")
    except (requests.RequestException, ImproperlyConfigured):
        return HttpResponse(status=503)
    identity = SsoIdentity.objects.filter(issuer=claims["iss"], subject=claims["sub"]).select_related("user").first()
    if identity is not None:
        identity.logged_out_at = timezone.now()
        identity.save(update_fields=["logged_out_at"])
        record("sso_logged_out_at_provider", actor=identity.user, obj=identity.user, after={"subject": claims["sub"]})
    response = HttpResponse(status=200)
    response["Cache-Control"] = "no-store"
    return response


# --- Session limits ----------------------------------------------------------------------


class SsoSessionMiddleware:
    """Ends an SSO session the provider no longer vouches for.

    After HEALTHPM_SSO_SESSION_MAX_SECONDS a page load goes back through the provider (silent
    while its own session lasts; a leaver it has disabled is stopped there). Only page loads
    (GET) are sent round: a form being sent is never thrown away by the renewal.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        signed_in_at = request.session.get(SSO_SIGNED_IN_AT) if request.user.is_authenticated else None
        if signed_in_at is not None:
            identity = oidc.identity_of(request.user)
            logged_out = identity is not None and identity.logged_out_at and \
                identity.logged_out_at.timestamp() >= signed_in_at
            expired = time.time() - signed_in_at > settings.HEALTHPM_SSO_SESSION_MAX_SECONDS
            if logged_out or (expired and request.method == "GET" and not request.headers.get("HX-Request")):
                user = request.user
                record("sso_session_ended", actor=user, obj=user,
                       after={"reason": "signed out at the provider" if logged_out else "maximum session age"})
                auth.logout(request)
                if logged_out:
                    messages.info(request, f"You were signed out at {organisation()}.")
                    return redirect(settings.LOGIN_URL)
                return redirect(f"{reverse('sso_login')}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
