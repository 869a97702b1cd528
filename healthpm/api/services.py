from django.contrib.auth import get_user_model
from django.db import transaction

from healthpm.audit.services import record

from .models import ServiceAccount


def service_account_create(*, username: str, description: str, roles, by) -> ServiceAccount:
    """A user that only acts through API tokens: no usable password, refused by the login form."""
    with transaction.atomic():
        user = get_user_model()(username=username, first_name=username)
        user.set_unusable_password()
        user.save()
        user.groups.set(roles)
        account = ServiceAccount.objects.create(user=user, description=description, created_by=by)
        record("service_account_created", actor=by, obj=account,
               after={"username": username, "roles": sorted(g.name for g in roles), "description": description})
    return account
