"""The roles of SPEC §1, as Django groups."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

PRODUCT_MANAGER = "Product managers"
COMPLIANCE = "Compliance officers"
LEADERSHIP = "Leadership"
ALL_ROLES = (PRODUCT_MANAGER, COMPLIANCE, LEADERSHIP)


def role_names(user: AbstractBaseUser | AnonymousUser) -> set[str]:
    """The user's role groups, cached on the user object for the request."""
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_healthpm_roles", None)
    if cached is None:
        cached = set(user.groups.filter(name__in=ALL_ROLES).values_list("name", flat=True))
        user._healthpm_roles = cached
    return cached


def active_members(role: str):
    """The active users holding a role (who gets a role's e-mail)."""
    return get_user_model().objects.filter(groups__name=role, is_active=True).distinct()


def is_pm(user) -> bool:
    return PRODUCT_MANAGER in role_names(user)


def is_compliance(user) -> bool:
    return COMPLIANCE in role_names(user)


def is_leader(user) -> bool:
    return LEADERSHIP in role_names(user)


def printed_name(user) -> str:
    """The name a signature shows: full name, falling back to the username."""
    return user.get_full_name().strip() or user.get_username()
