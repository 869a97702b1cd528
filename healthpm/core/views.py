from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from healthpm.accounts import roles
from healthpm.accounts.oidc import is_sso_user


@login_required
@require_safe
def home(request):
    user = request.user
    if not (roles.role_names(user) or user.is_superuser):
        return render(request, "accounts/no_role.html", {
            "contact": settings.HEALTHPM_ACCESS_CONTACT, "sso_user": is_sso_user(user),
            "organisation": settings.OIDC_ORGANISATION_NAME,
        })
    if roles.is_leader(request.user) and not roles.is_pm(request.user):
        return redirect("dashboard:portfolio")
    return redirect("initiatives:list")


def _broker_ok() -> bool:
    from healthpm.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return True


@never_cache
@require_safe
def healthz(request):
    """Database and broker status; 200 while the database answers, 503 when it does not."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # report, don't crash: this is what a load balancer polls
        checks["database"] = f"error: {type(exc).__name__}"
    if settings.CELERY_BROKER_URL:
        try:
            _broker_ok()
            checks["broker"] = "ok"
        except Exception as exc:
            checks["broker"] = f"error: {type(exc).__name__}"
    else:
        checks["broker"] = "not configured (tasks run in process)"
    healthy = all(v == "ok" or v.startswith("not configured") for v in checks.values())
    # Only a dead database takes this web process out of the load balancer: with the broker
    # down, saves and decisions still commit (the outbox and pending dossiers catch up), so
    # the body reports "degraded" for monitoring while the status stays 200.
    serving = checks["database"] == "ok"
    return JsonResponse({"status": "ok" if healthy else "degraded", **checks}, status=200 if serving else 503)
