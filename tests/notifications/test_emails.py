"""Who is e-mailed after commit, and what the message says (SPEC §9)."""

import pytest
from django.conf import settings
from django.core import mail

from healthpm.gates.services import gate_decide
from tests.factories import InitiativeFactory, evidence_gate, gate_of, ready_initiative, submitted_gate

pytestmark = pytest.mark.django_db


def html_of(message) -> str:
    return next(body for body, kind in message.alternatives if kind == "text/html")


def test_a_submission_mails_compliance_a_plain_and_html_body_with_the_gate_link(
        pm, compliance, leader, django_capture_on_commit_callbacks):
    initiative = InitiativeFactory(owner=pm, title="Sepsis early warning")
    with django_capture_on_commit_callbacks(execute=True):
        gate = submitted_gate(initiative, pm)

    assert [m.to for m in mail.outbox] == [[compliance.email]]
    message = mail.outbox[0]
    link = f"{settings.SITE_URL}{gate.get_absolute_url()}"
    assert "Priya Patel submitted the gate \"Auditable inputs\" of \"Sepsis early warning\"" in message.body
    assert link in message.body
    assert f'<a href="{link}">' in html_of(message)


def test_a_decision_mails_the_owner_and_every_collaborator(pm, pm2, compliance, django_capture_on_commit_callbacks):
    gate = submitted_gate(InitiativeFactory(owner=pm, collaborators=[pm2]), pm)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        gate_decide(gate=gate, by=compliance, decision="rejected", reason="The lineage document is a draft.")

    assert sorted(m.to[0] for m in mail.outbox) == [pm2.email, pm.email]
    assert all("Reason: The lineage document is a draft." in m.body for m in mail.outbox)
    assert all(gate.get_absolute_url() in html_of(m) for m in mail.outbox)


def test_the_final_decision_mails_the_owner_and_leadership(pm, compliance, leader, password,
                                                           django_capture_on_commit_callbacks):
    from healthpm.approvals.services import initiative_sign

    initiative = ready_initiative(pm, compliance)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        initiative_sign(initiative=initiative, by=compliance, password=password, meaning="approved", statement="")

    assert sorted(m.to[0] for m in mail.outbox) == [leader.email, pm.email]
    assert all(m.subject.startswith("Final decision:") for m in mail.outbox)
    assert all(initiative.get_absolute_url() in m.body for m in mail.outbox)


def test_nothing_is_mailed_when_the_transaction_rolls_back(pm, compliance, django_capture_on_commit_callbacks):
    from django.db import transaction

    from healthpm.notifications.models import Notification

    gate = evidence_gate(gate_of(InitiativeFactory(owner=pm), "auditable-inputs"), pm)
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                from healthpm.gates.services import gate_submit

                gate_submit(gate=gate, by=pm)
                raise RuntimeError("the save failed after the submission")
    assert mail.outbox == [] and not Notification.objects.exists()
