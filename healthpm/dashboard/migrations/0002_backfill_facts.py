"""Fill the portfolio facts of initiatives that existed before the dashboard kept them."""

from django.db import migrations


def backfill(apps, schema_editor):
    from healthpm.dashboard.facts import refresh_all

    refresh_all(apps)


class Migration(migrations.Migration):

    dependencies = [
        ("dashboard", "0001_portfolio_facts"),
        ("audit", "0001_initial"),
        ("gates", "0002_reference_data"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
