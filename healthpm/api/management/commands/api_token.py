"""Give an account an API token from the shell (deployment scripts, the data team's onboarding).

    manage.py api_token --by admin --service-account svc-sepsis-job --role Leadership \\
        --permission monitoring.record_metrics --scopes read,metrics:write --days 90

The same services as the admin site: `--by` must be an administrator, the service account is
created when missing (no password, refused by the login form), everything is audited, and the
secret is printed once on stdout — it is not stored and cannot be shown again.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from healthpm.api import tokens
from healthpm.api.models import ServiceAccount
from healthpm.api.services import service_account_create
from healthpm.audit.services import record


class Command(BaseCommand):
    help = "Create an API token (and, when missing, the service account that holds it); prints the secret once."

    def add_arguments(self, parser):
        parser.add_argument("--by", required=True, help="The administrator who creates it (recorded).")
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--user", help="An existing account.")
        target.add_argument("--service-account", help="A service account, created when missing.")
        parser.add_argument("--role", action="append", default=[], help="Role group of a new service account.")
        parser.add_argument("--permission", action="append", default=[],
                            help="app_label.codename granted to a new service account, e.g. monitoring.record_metrics.")
        parser.add_argument("--scopes", default="read", help="Comma-separated: read, evidence:write, metrics:write.")
        parser.add_argument("--days", type=int, default=30, help="Days until the token expires.")
        parser.add_argument("--name", default="", help="What the token is for (shown in lists).")

    def handle(self, *args, **opts):
        User = get_user_model()
        try:
            by = User.objects.get(username=opts["by"], is_superuser=True, is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"--by: “{opts['by']}” is not an active administrator.") from None
        try:
            with transaction.atomic():
                owner = self._owner(opts, by)
                _token, secret = tokens.token_create(
                    owner=owner, name=opts["name"] or f"{owner.username} (command line)",
                    scopes=[s.strip() for s in opts["scopes"].split(",") if s.strip()],
                    expires_at=timezone.now() + timedelta(days=opts["days"]), by=by)
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError("; ".join(getattr(exc, "messages", [str(exc)]))) from exc
        self.stdout.write(secret)

    def _owner(self, opts, by):
        User = get_user_model()
        if opts["user"]:
            try:
                return User.objects.get(username=opts["user"])
            except User.DoesNotExist:
                raise CommandError(f"--user: no account “{opts['user']}”.") from None
        username = opts["service_account"]
        existing = ServiceAccount.objects.filter(user__username=username).select_related("user").first()
        if existing is not None:
            return existing.user
        if User.objects.filter(username=username).exists():
            raise CommandError(f"--service-account: “{username}” is a person's account, not a service account.")
        groups = []
        for name in opts["role"]:
            try:
                groups.append(Group.objects.get(name=name))
            except Group.DoesNotExist:
                raise CommandError(f"--role: no role “{name}”.") from None
        account = service_account_create(username=username, description=opts["name"] or "created by api_token",
                                         roles=groups, by=by)
        for dotted in opts["permission"]:
            app_label, _, codename = dotted.partition(".")
            permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if permission is None:
                raise CommandError(f"--permission: no permission “{dotted}”.")
            account.user.user_permissions.add(permission)
            record("permission_granted", actor=by, obj=account.user,
                   after={"user": username, "permission": dotted})
        return account.user
