from healthpm import access
from healthpm.accounts import roles as role_checks


def roles(request):
    """Role flags for menus; every decision is still made on the server."""
    user = request.user
    return {
        "is_pm": role_checks.is_pm(user),
        "is_compliance": role_checks.is_compliance(user),
        "is_leader": role_checks.is_leader(user),
        "can_view_dashboard": access.can_view_dashboard(user),
    }
