import pytest
from django.contrib.auth.models import Group

from healthpm.accounts import roles
from tests.factories import UserFactory


@pytest.fixture
def dual(db):
    """A product manager who is also a compliance officer: separation of duties bars them from
    the initiatives they work on, and only from those."""
    user = UserFactory(username="dana", first_name="Dana", last_name="Dual", email="dana@hospital.example")
    for name in (roles.PRODUCT_MANAGER, roles.COMPLIANCE):
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user
