"""Two officers deciding the same gate at the same moment (SPEC §2): one decision wins,
the other is told the gate was already decided. Real commits on two real connections."""

import threading

import pytest
from django.db import connection

from healthpm.audit.services import verify_chain
from healthpm.core.errors import WorkflowError
from healthpm.gates.models import Gate, GateDecision, GateStatus
from healthpm.gates.services import gate_decide
from tests.factories import InitiativeFactory, submitted_gate


def _race(gate_pk: int, deciders: list[tuple]) -> dict:
    """Run gate_decide for each (officer, decision) in its own thread, released together."""
    barrier = threading.Barrier(len(deciders))
    outcomes: dict = {}

    def decide(officer, decision):
        try:
            gate = Gate.objects.get(pk=gate_pk)  # each thread reads through its own connection
            barrier.wait(timeout=10)
            outcomes[officer.username] = gate_decide(gate=gate, by=officer, decision=decision, reason="Concurrent review.")
        except Exception as exc:  # recorded, then asserted in the main thread
            outcomes[officer.username] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=args) for args in deciders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a decision hung (lock never released?)"
    return outcomes


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("second", ["approved", "rejected"])
def test_two_officers_deciding_at_once_record_exactly_one_decision(reference_data, pm, compliance, compliance2, second):
    gate = submitted_gate(InitiativeFactory(owner=pm), pm)

    outcomes = _race(gate.pk, [(compliance, "approved"), (compliance2, second)])

    winners = [o for o in outcomes.values() if isinstance(o, GateDecision)]
    losers = [o for o in outcomes.values() if not isinstance(o, GateDecision)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    assert isinstance(losers[0], WorkflowError), repr(losers[0])
    assert "was already decided" in losers[0].message
    assert GateDecision.objects.filter(gate_id=gate.pk).count() == 1
    decided = Gate.objects.get(pk=gate.pk)
    assert decided.status == (GateStatus.APPROVED if winners[0].decision == "approved" else GateStatus.REJECTED)
    # Both transactions wrote to the audit chain; it must still be one unbroken chain.
    checked, broken = verify_chain()
    assert broken is None and checked > 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("decision", ["approved", "rejected"])
def test_a_withdrawal_racing_a_decision_lets_exactly_one_win(reference_data, pm, compliance, decision):
    """The PM withdraws while an officer decides: one wins, the other is told what happened."""
    from healthpm.gates.services import gate_withdraw

    gate = submitted_gate(InitiativeFactory(owner=pm), pm)
    barrier = threading.Barrier(2)
    outcomes: dict = {}

    def run(name, call):
        try:
            fetched = Gate.objects.get(pk=gate.pk)
            barrier.wait(timeout=10)
            outcomes[name] = call(fetched)
        except Exception as exc:
            outcomes[name] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=("withdraw", lambda g: gate_withdraw(gate=g, by=pm))),
        threading.Thread(target=run, args=("decide", lambda g: gate_decide(gate=g, by=compliance, decision=decision,
                                                                          reason="Concurrent review."))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a transition hung (lock never released?)"

    losers = [o for o in outcomes.values() if isinstance(o, Exception)]
    assert len(losers) == 1, outcomes
    assert isinstance(losers[0], WorkflowError), repr(losers[0])
    final = Gate.objects.get(pk=gate.pk)
    if isinstance(outcomes["decide"], GateDecision):
        assert "cannot be withdrawn: it was already" in losers[0].message
        assert final.status == decision and final.withdrawn_at is None
    else:
        assert "was withdrawn by Priya Patel" in losers[0].message
        assert final.status == GateStatus.IN_PROGRESS and not GateDecision.objects.filter(gate_id=gate.pk).exists()
    checked, broken = verify_chain()
    assert broken is None and checked > 0
