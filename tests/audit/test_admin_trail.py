"""The administrator may not bypass the audit trail (SPEC §8): admin changes and role
changes land in the hash chain, attributed to whoever made them."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from healthpm.accounts import roles
from healthpm.audit.models import AuditEvent
from healthpm.audit.services import verify_chain
from healthpm.gates.models import SourceSystem

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_superuser("ada", "ada@hospital.example", "ada-admin-password-2026")


def test_granting_a_role_in_the_admin_is_recorded_with_who_did_it(client, admin_user, pm2):
    client.force_login(admin_user)
    compliance = Group.objects.get(name=roles.COMPLIANCE)
    url = reverse("admin:auth_user_change", args=[pm2.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    data.update(groups=[g.pk for g in pm2.groups.all()] + [compliance.pk], user_permissions=[],
                last_login_0="", last_login_1="", date_joined_0="2026-11-01", date_joined_1="09:00:00")

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    granted = AuditEvent.objects.get(action="roles_granted", after__user="marco", actor=admin_user)
    assert granted.actor == admin_user and granted.after["roles"] == [roles.COMPLIANCE]
    changed = AuditEvent.objects.get(action="admin_changed")
    assert changed.actor == admin_user
    assert changed.after["model"] == "auth.user" and changed.after["object_id"] == str(pm2.pk)
    assert "Groups" in changed.after["change"]
    assert verify_chain()[1] is None


def test_revoking_a_role_outside_the_admin_is_recorded_too(pm2):
    pm2.groups.clear()

    revoked = AuditEvent.objects.filter(action="roles_revoked", after__user="marco").get()
    assert revoked.after["roles"] == [roles.PRODUCT_MANAGER] and revoked.actor is None


def test_a_role_granted_from_the_group_side_is_recorded(pm2):
    Group.objects.get(name=roles.LEADERSHIP).user_set.add(pm2)

    assert AuditEvent.objects.get(action="roles_granted", after__roles=[roles.LEADERSHIP]).object_id == str(pm2.pk)


def test_reference_data_edited_in_the_admin_is_recorded(client, admin_user):
    client.force_login(admin_user)

    response = client.post(reverse("admin:gates_sourcesystem_add"),
                           {"name": "Cerner Millennium", "description": "EHR", "approved": "on"})

    assert response.status_code == 302
    added = AuditEvent.objects.get(action="admin_added")
    system = SourceSystem.objects.get(name="Cerner Millennium")
    assert added.actor == admin_user
    assert added.after == {"model": "gates.sourcesystem", "object_id": str(system.pk), "object": "Cerner Millennium",
                           "change": "Added."}
