"""Facts that depend on reference data follow it.

The share of an initiative's inputs "with an approved, timestamped source" is denormalised
when a gate is saved; an administrator approving or un-approving a source system changes it
for every initiative at once, so the facts are refreshed after that change commits.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from healthpm.core.tasks import enqueue_on_commit
from healthpm.gates.models import SourceSystem

from .tasks import refresh_portfolio_facts


@receiver(post_save, sender=SourceSystem)
@receiver(post_delete, sender=SourceSystem)
def _source_systems_changed(sender, **kwargs):
    if kwargs.get("raw"):
        return  # loaddata: the facts are rebuilt by refresh_portfolio_facts afterwards
    enqueue_on_commit(refresh_portfolio_facts, pending="portfolio facts not refreshed now",
                      catch_up="the nightly beat run of refresh_portfolio_facts refreshes them")
