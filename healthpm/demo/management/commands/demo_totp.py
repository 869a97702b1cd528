"""`python manage.py demo_totp [USERNAME]`: the current two-factor code of a demo account.

DEMO ONLY. It prints a code only for an account whose authenticator holds the demo's public
secret (healthpm/demo/totp.py); for any other account it prints nothing and fails, so it is
no help against a real deployment's accounts.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from healthpm.demo import totp


class Command(BaseCommand):
    help = "DEMO ONLY: print the current authenticator code of a demo account enrolled with the demo secret."

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?", default="compliance",
                            help="A demo account enrolled by seed_demo (default: compliance).")

    def handle(self, *args, username: str, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user “{username}”. Run `python manage.py seed_demo` first.")
        devices = list(TOTPDevice.objects.devices_for_user(user, confirmed=True))
        if not devices:
            raise CommandError(f"{username} has no authenticator app set up.")
        if not all(totp.holds_demo_secret(device) for device in devices):
            raise CommandError(f"{username}'s authenticator does not hold the demo secret: demo_totp only works for "
                               "the demo's accounts.")
        self.stdout.write(totp.current_code(devices[0]))
