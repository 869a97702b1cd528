"""Creating and editing initiatives, and deriving their status from the gates (SPEC §2)."""

from django.db import transaction
from django.utils.text import slugify

from healthpm import access
from healthpm.accounts import roles
from healthpm.audit.services import record
from healthpm.core.errors import WorkflowError
from healthpm.gates import registry
from healthpm.gates.models import Gate, GateStatus
from healthpm.gates.signals import checklist_changed
from healthpm.notifications.services import notify

from .models import FINAL_STATUSES, Initiative, Status

EDITABLE_FIELDS = ("title", "summary", "clinical_area", "intended_use", "intended_users", "care_setting")


def _unique_slug(title: str) -> str:
    base = slugify(title)[:70] or "initiative"
    slug, n = base, 2
    while Initiative.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _check_team(owner, collaborators) -> None:
    if not roles.is_pm(owner):
        raise WorkflowError(f"The owner must be a product manager; {owner.get_username()} is not.")
    outsiders = [u.get_username() for u in collaborators if not roles.is_pm(u)]
    if outsiders:
        raise WorkflowError("Collaborators must be product managers: " + ", ".join(outsiders) + ".")


def initiative_create(*, by, fields: dict, owner=None, collaborators=(), slug: str | None = None,
                      checklist_version: int | None = None) -> Initiative:
    """Register an initiative with one gate per gate of its checklist (the current one unless
    a version is given), each at its position there."""
    access.require_create_initiative(by)
    checklist = registry.checklist(checklist_version) if checklist_version else registry.current()
    owner = owner or by
    collaborators = [u for u in collaborators if u.pk != owner.pk]
    _check_team(owner, collaborators)
    with transaction.atomic():
        initiative = Initiative.objects.create(
            slug=slug or _unique_slug(fields["title"]),
            owner=owner,
            checklist_version=checklist.version,
            **{k: fields[k] for k in EDITABLE_FIELDS},
        )
        initiative.collaborators.set(collaborators)
        Gate.objects.bulk_create(
            Gate(initiative=initiative, key=d.key, order=position) for position, d in enumerate(checklist.gates, start=1)
        )
        record("initiative_created", actor=by, obj=initiative, initiative=initiative, after=initiative.snapshot())
    return initiative


def initiative_update(*, initiative: Initiative, by, fields: dict, owner=None, collaborators=None) -> Initiative:
    with transaction.atomic():
        initiative = Initiative.objects.select_for_update().get(pk=initiative.pk)
        access.require_edit(by, initiative)
        initiative.require_open()
        before = initiative.snapshot()
        for name in EDITABLE_FIELDS:
            setattr(initiative, name, fields[name])
        if owner is not None:
            initiative.owner = owner
        team = list(collaborators) if collaborators is not None else list(initiative.collaborators.all())
        team = [u for u in team if u.pk != initiative.owner_id]
        _check_team(initiative.owner, team)
        initiative.save()
        initiative.collaborators.set(team)
        # Whoever left the team no longer fills its gates (assignments: healthpm.collaboration).
        left = (Gate.objects.filter(initiative=initiative, assignee__isnull=False)
                .exclude(assignee__in=[initiative.owner_id, *(u.pk for u in team)]).select_related("assignee"))
        for gate in left:
            gate.initiative = initiative
            record("gate_assigned", actor=by, obj=gate, initiative=initiative,
                   before={"assignee": gate.assignee.get_username()}, after={"assignee": None, "why": "left the team"})
        left.update(assignee=None)
        after = initiative.snapshot()
        if after != before:
            changed = {k for k in after if after[k] != before[k]}
            record(
                "initiative_updated", actor=by, obj=initiative, initiative=initiative,
                before={k: before[k] for k in changed}, after={k: after[k] for k in changed},
            )
    return initiative


def derived_status(gate_statuses: list[str]) -> str:
    """The initiative status the gates imply, before any final decision."""
    if any(s == GateStatus.REJECTED for s in gate_statuses):
        return Status.CHANGES_REQUESTED
    if gate_statuses and all(s == GateStatus.APPROVED for s in gate_statuses):
        return Status.READY
    if any(s in (GateStatus.SUBMITTED, GateStatus.APPROVED) for s in gate_statuses):
        return Status.IN_REVIEW
    return Status.DRAFT


def initiative_refresh_status(initiative: Initiative, *, by) -> None:
    """Re-derive the status after a gate changed. Call inside the transaction, row locked."""
    if initiative.status in FINAL_STATUSES:
        return
    statuses = list(Gate.objects.filter(initiative=initiative).values_list("status", flat=True))
    new = derived_status(statuses)
    if new == Status.DRAFT and initiative.status != Status.DRAFT:
        # Once reviewed, an initiative never goes back to an invisible draft.
        new = Status.IN_REVIEW
    if new != initiative.status:
        old = initiative.status
        initiative.status = new
        initiative.save(update_fields=["status", "updated_at"])
        record("initiative_status_changed", actor=by, obj=initiative, initiative=initiative,
               before={"status": old}, after={"status": new})



def initiative_move_checklist(*, initiative: Initiative, by, version: int, reason: str) -> Initiative:
    """Hold an in-flight initiative to a later released checklist (never an earlier one).

    Gates the new checklist carries unchanged keep their data, evidence, decisions and
    approvals: a gate's approval digest is bound to the checklist that introduced its
    definition (registry.introduced_in), not to the initiative's. A gate whose definition
    changed keeps its answers but goes back to in progress for a new review; new gates start
    empty. Compliance only, with a reason, audited; the team is told what is new.
    """
    reason = reason.strip()
    if not reason:
        raise WorkflowError("Give the reason for moving to the new checklist; it is kept in the audit trail.")
    target = registry.checklist(version)
    with transaction.atomic():
        initiative = Initiative.objects.select_for_update().get(pk=initiative.pk)
        access.require_move_checklist(by, initiative)
        source = registry.checklist(initiative.checklist_version)
        if target.version <= source.version:
            raise WorkflowError(f"“{initiative.title}” is held to checklist v{source.version}; it can only move to a "
                                "later checklist, never back.")
        if target.released is None:
            raise WorkflowError(f"Checklist v{target.version} is not released yet.")
        if initiative.status in FINAL_STATUSES:
            raise WorkflowError(f"“{initiative.title}” has a final decision and is locked. Reopen it first.")
        dropped = [key for key in source.keys if key not in target.keys]
        if dropped:
            raise WorkflowError(f"Checklist v{target.version} has no gate {', '.join(dropped)}: "
                                "the initiative cannot move to it without losing that work.")
        gates = {gate.key: gate for gate in Gate.objects.select_for_update().filter(initiative=initiative)}
        kept, reviewed_again, added = [], [], []
        for position, definition in enumerate(target.gates, start=1):
            gate = gates.get(definition.key)
            if gate is None:
                Gate.objects.create(initiative=initiative, key=definition.key, order=position)
                added.append(definition.key)
                continue
            changed = source.gate(definition.key) is not definition
            if changed and gate.status in (GateStatus.SUBMITTED, GateStatus.APPROVED):
                gate.status = GateStatus.IN_PROGRESS
                reviewed_again.append(definition.key)
            elif gate.status == GateStatus.APPROVED:
                kept.append(definition.key)
            gate.order = position
            gate.save(update_fields=["order", "status"])
        initiative.checklist_version = target.version
        initiative.save(update_fields=["checklist_version", "updated_at"])
        record("initiative_checklist_changed", actor=by, obj=initiative, initiative=initiative,
               before={"checklist_version": source.version},
               after={"checklist_version": target.version, "reason": reason, "gates_added": added,
                      "approvals_kept": kept, "reviewed_again": reviewed_again})
        initiative_refresh_status(initiative, by=by)
        checklist_changed.send(sender=Initiative, initiative=initiative)
        notify([initiative.owner, *initiative.collaborators.all()],
               subject=f"{initiative.title}: now held to checklist v{target.version}", template="checklist_moved",
               context={"initiative": initiative, "by": by, "reason": reason, "version": target.version,
                        "added": [target.gate(key).title for key in added],
                        "reviewed_again": [target.gate(key).title for key in reviewed_again]},
               link=initiative.get_absolute_url())
    return initiative
