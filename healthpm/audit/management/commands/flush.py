"""Django's flush, able to empty the append-only audit table.

The triggers of audit migration 0002 refuse TRUNCATE (PostgreSQL) and DELETE (SQLite), the
very statements flush runs, so flush lifts them for its own transaction and puts them back
before it commits (healthpm/audit/guard.py). The test runner calls this command after every
transactional test; an operator running it is destroying all data, the trail included, on
purpose, and is asked to confirm first.
"""

from django.core.management.commands import flush
from django.db import connections

from healthpm.audit import guard


class Command(flush.Command):
    help = flush.Command.help + " The audit trail is emptied too."

    def handle(self, **options):
        connection = connections[options["database"]]
        if options["interactive"]:
            # Asked before the transaction opens: no lock is held while a person reads the prompt.
            confirm = input(
                f'You have requested a flush of the database.\nThis will IRREVERSIBLY DESTROY all data currently '
                f'in the "{connection.settings_dict["NAME"]}" database, the audit trail included,\nand return each '
                "table to an empty state.\nAre you sure you want to do this?\n\n"
                "    Type 'yes' to continue, or 'no' to cancel: "
            )
            if confirm != "yes":
                self.stdout.write("Flush cancelled.")
                return
        with guard.lifted(connection):
            super().handle(**{**options, "interactive": False})
