import pytest
from django.core.management import CommandError, call_command

from healthpm.api.models import ApiToken, ServiceAccount
from healthpm.audit.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_command_creates_the_service_account_and_a_token_whose_secret_works(client, capsys, leader):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    call_command("api_token", "--by", "root", "--service-account", "svc-job", "--role", "Leadership",
                 "--permission", "monitoring.record_metrics", "--scopes", "read,metrics:write", "--days", "30")
    secret = capsys.readouterr().out.strip()
    account = ServiceAccount.objects.get(user__username="svc-job")
    assert account.user.has_perm("monitoring.record_metrics") and not account.user.has_usable_password()
    token = ApiToken.objects.get(owner=account.user)
    assert sorted(token.scopes) == ["metrics:write", "read"] and secret not in repr(token.__dict__)
    assert client.get("/api/v1/initiatives/", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    assert AuditEvent.objects.filter(action="permission_granted").exists()


@pytest.mark.parametrize("args, message", [
    (["--by", "nobody", "--user", "lena"], "--by: “nobody” is not an active administrator."),
    (["--by", "root", "--user", "ghost"], "--user: no account “ghost”."),
    (["--by", "root", "--user", "lena", "--days", "9999"], "at most"),
    (["--by", "root", "--service-account", "lena"], "is a person's account"),
])
def test_bad_arguments_are_named_and_create_nothing(leader, args, message):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    with pytest.raises(CommandError, match=message):
        call_command("api_token", *args)
    assert not ApiToken.objects.exists() and not ServiceAccount.objects.exists()
