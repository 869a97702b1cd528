"""`python manage.py refresh_portfolio_facts`: rebuild the dashboard's facts from the gates.

Gate saves keep the facts current, and a change to the source systems queues a refresh
(healthpm/dashboard/signals.py; beat also runs it nightly). Run this after a changed
checklist or after loading data by other means.
"""

from django.core.management.base import BaseCommand

from healthpm.dashboard.facts import refresh_all


class Command(BaseCommand):
    help = "Recompute every initiative's portfolio facts (FP cost, regulatory class, BAAs, drills, inputs)."

    def handle(self, *args, **options):
        done = refresh_all()
        self.stdout.write(self.style.SUCCESS(f"Refreshed the portfolio facts of {done} initiative(s)."))
