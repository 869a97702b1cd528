"""The idle-logout warning's "Stay signed in" (static/js/idle.js)."""

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from .middleware import idle_remaining, stamp_activity


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
