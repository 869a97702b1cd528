"""Roles from the identity provider's groups (SPEC §11), re-applied at every SSO sign-in.

The provider is the source of truth for an SSO account: someone moved out of the compliance
group loses the compliance role the next time they sign in, and the change is in the audit
trail (roles_revoked, from the groups relation's signal, plus one sso_roles_applied event that
says which provider groups caused it). A first sign-in with no mapped group gets no role: the
account exists, but sees only the "no healthpm role yet" page until a mapping grants one.
"""

from django.conf import settings
from django.contrib.auth.models import Group

from healthpm.audit.services import record

from . import roles

ADMINISTRATOR = "Administrators"
# Setting keys (settings.OIDC_ROLE_GROUPS) → the role each grants.
ROLE_BY_KEY = {
    "product_manager": roles.PRODUCT_MANAGER,
    "compliance": roles.COMPLIANCE,
    "leadership": roles.LEADERSHIP,
    "administrator": ADMINISTRATOR,
}


def roles_for(provider_groups) -> set[str]:
    """The healthpm roles the provider's groups grant under the configured mapping."""
    held = set(provider_groups)
    return {ROLE_BY_KEY[key] for key, groups in settings.OIDC_ROLE_GROUPS.items() if held & set(groups)}


def current_roles(user) -> set[str]:
    names = set(user.groups.filter(name__in=roles.ALL_ROLES).values_list("name", flat=True))
    return names | ({ADMINISTRATOR} if user.is_superuser else set())


def apply_provider_groups(user, provider_groups) -> None:
    """Make the user's roles exactly those the mapping grants; record what changed and why."""
    wanted, held = roles_for(provider_groups), current_roles(user)
    if wanted == held:
        return
    group_roles = set(roles.ALL_ROLES)
    user.groups.add(*[Group.objects.get_or_create(name=name)[0] for name in sorted((wanted - held) & group_roles)])
    user.groups.remove(*Group.objects.filter(name__in=(held - wanted) & group_roles))
    administrator = ADMINISTRATOR in wanted
    if user.is_superuser != administrator:
        # The administrator of SPEC §1 manages users and reference data in the Django admin.
        user.is_staff = user.is_superuser = administrator
        user.save(update_fields=["is_staff", "is_superuser"])
    user.__dict__.pop("_healthpm_roles", None)
    record("sso_roles_applied", actor=user, obj=user, after={
        "user": user.get_username(),
        "provider_groups": sorted(provider_groups),
        "granted": sorted(wanted - held),
        "revoked": sorted(held - wanted),
        "roles": sorted(wanted),
    })
