from django.conf import settings

from .middleware import LAST_ACTIVITY_KEY, idle_remaining


def idle_logout(request):
    """What static/js/idle.js needs on <body> to warn before the idle logout (signed-in pages only)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or LAST_ACTIVITY_KEY not in request.session:
        return {}
    limit = settings.HEALTHPM_IDLE_LOGOUT_SECONDS
    minutes = round(limit / 60)
    text = f"{minutes} minute{'s' if minutes != 1 else ''}" if limit >= 60 else f"{limit} seconds"
    return {"idle_logout": {
        "limit": limit,
        "limit_text": text,
        "warning": min(settings.HEALTHPM_IDLE_WARNING_SECONDS, settings.HEALTHPM_IDLE_LOGOUT_SECONDS),
        "remaining": idle_remaining(request),
    }}


def sso(request):
    """The login page's "Sign in with <organisation>" button, when single sign-on is configured."""
    if not settings.OIDC_ISSUER:
        return {}
    return {"sso": {"organisation": settings.OIDC_ORGANISATION_NAME,
                    "local_login_group": settings.HEALTHPM_LOCAL_LOGIN_GROUP}}
