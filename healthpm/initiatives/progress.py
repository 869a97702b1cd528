"""What happens next, and for whom: the sentence the overview leads with (SPEC §2)."""

from dataclasses import dataclass

from healthpm.gates.models import Gate, GateStatus

from .models import Initiative, Status


@dataclass(frozen=True)
class NextStep:
    who: str  # "team" | "compliance" | "nobody"
    text: str
    url: str = ""
    # Nothing is started yet: the overview shows this one calm step instead of every gate's blockers.
    start: bool = False


def next_step(initiative: Initiative, gates: list[Gate]) -> NextStep:
    if initiative.status == Status.APPROVED:
        return NextStep("nobody", "Approved for launch and locked. A compliance officer may reopen it with a reason.")
    if initiative.status == Status.REJECTED:
        return NextStep("nobody", "Launch rejected and locked. A compliance officer may reopen it with a reason.")
    rejected = [g for g in gates if g.status == GateStatus.REJECTED]
    if rejected:
        g = rejected[0]
        return NextStep("team", f"Answer the rejection of “{g.title}”: change what compliance asked for and resubmit.", g.get_absolute_url())
    todo = [g for g in gates if g.status in (GateStatus.NOT_STARTED, GateStatus.IN_PROGRESS)]
    if gates and all(g.status == GateStatus.NOT_STARTED for g in gates):
        g = gates[0]
        return NextStep("team", f"Start with “{g.title}”: fill in its facts and add its evidence. Each of the "
                                f"{len(gates)} gates lists what blocks it once you start it.", g.get_absolute_url(),
                        start=True)
    if todo:
        g = todo[0]
        verb = "Fill" if g.status == GateStatus.NOT_STARTED else "Finish and submit"
        return NextStep("team", f"{verb} “{g.title}” ({len(todo)} gate{'s' if len(todo) != 1 else ''} still to submit).", g.get_absolute_url())
    submitted = [g for g in gates if g.status == GateStatus.SUBMITTED]
    if submitted:
        names = ", ".join(f"“{g.title}”" for g in submitted)
        return NextStep("compliance", f"Waiting for compliance to review {names}.", submitted[0].get_absolute_url())
    from django.urls import reverse

    return NextStep("compliance", "Every gate is approved: a compliance officer signs the final launch decision.",
                    reverse("approvals:approval", args=[initiative.slug]))
