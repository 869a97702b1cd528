"""E-mail on the gates' domain events (SPEC §9): submitted → the compliance officers who may
decide it; decided → the initiative's team. Connected in NotificationsConfig.ready()."""

from django.dispatch import receiver

from healthpm import access
from healthpm.accounts import roles
from healthpm.gates.signals import gate_decided, gate_submitted

from .services import notify


@receiver(gate_submitted, dispatch_uid="notify_gate_submitted")
def _gate_submitted(sender, *, gate, initiative, by, **kwargs):
    reviewers = [u for u in roles.active_members(roles.COMPLIANCE) if access.decision_conflict(u, initiative) is None]
    notify(reviewers, subject=f"Review requested: {gate.title} — {initiative.title}",
           template="gate_submitted", context={"gate": gate, "initiative": initiative, "by": by},
           link=gate.get_absolute_url())


@receiver(gate_decided, dispatch_uid="notify_gate_decided")
def _gate_decided(sender, *, gate, initiative, decision, **kwargs):
    team = [initiative.owner, *initiative.collaborators.all()]
    notify(team, subject=f"{gate.title} {decision.get_decision_display().lower()} — {initiative.title}",
           template="gate_decided", context={"gate": gate, "initiative": initiative, "decision": decision},
           link=f"{gate.get_absolute_url()}#decision-{decision.pk}")
