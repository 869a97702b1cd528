"""The portfolio facts follow the gates and the reference data.

A gate's saved answers and a decision arrive as the gates' domain signals, inside the
service's transaction, so the dashboard is never stale and the gates never import it.
The share of an initiative's inputs "with an approved, timestamped source" is denormalised
when a gate is saved; an administrator approving or un-approving a source system changes it
for every initiative at once, so the facts are refreshed after that change commits.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from healthpm.core.tasks import enqueue_on_commit
from healthpm.gates.models import SourceSystem
from healthpm.gates.signals import checklist_changed, gate_data_saved, gate_decided

from .facts import record_review_time, refresh_facts
from .tasks import refresh_portfolio_facts


@receiver(gate_data_saved, dispatch_uid="dashboard_gate_data_saved")
@receiver(checklist_changed, dispatch_uid="dashboard_checklist_changed")
def _gate_data_saved(sender, *, initiative, gate=None, **kwargs):
    refresh_facts(initiative, saved=gate)


@receiver(gate_decided, dispatch_uid="dashboard_gate_decided")
def _gate_decided(sender, *, decision, submitted_at, **kwargs):
    record_review_time(decision=decision, submitted_at=submitted_at)


@receiver(post_save, sender=SourceSystem)
@receiver(post_delete, sender=SourceSystem)
def _source_systems_changed(sender, **kwargs):
    if kwargs.get("raw"):
        return  # loaddata: the facts are rebuilt by refresh_portfolio_facts afterwards
    enqueue_on_commit(refresh_portfolio_facts, pending="portfolio facts not refreshed now",
                      catch_up="the nightly beat run of refresh_portfolio_facts refreshes them")
