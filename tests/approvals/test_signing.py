"""The final electronic signature and reopening (SPEC §5)."""

import re
from datetime import datetime, timezone as dt_timezone

import pytest
import time_machine
from django.urls import reverse

from healthpm.approvals.models import Signature
from healthpm.approvals.services import initiative_reopen, initiative_sign
from healthpm.audit.models import AuditEvent
from healthpm.core.errors import WorkflowError
from healthpm.initiatives.models import Initiative, Status
from tests.factories import PASSWORD, db_state, ready_initiative, signed_initiative

pytestmark = pytest.mark.django_db

ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def test_a_wrong_password_records_nothing_but_the_refusal(pm, compliance):
    initiative = ready_initiative(pm, compliance)
    before = db_state(initiative)

    with pytest.raises(WorkflowError, match="password is not correct"):
        initiative_sign(initiative=initiative, by=compliance, password="not-my-password", meaning="approved")

    after = db_state(initiative)
    assert after["audit_events"] == before["audit_events"] + 1
    assert {**after, "audit_events": before["audit_events"]} == before
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.actor, event.initiative_id) == ("signature_refused", compliance, initiative.pk)
    assert "not-my-password" not in str(event.after)


def test_the_right_password_records_the_manifestation(pm, compliance):
    initiative = ready_initiative(pm, compliance)

    with time_machine.travel(datetime(2026, 3, 2, 14, 5, 9, 123456, tzinfo=dt_timezone.utc), tick=False):
        signature = initiative_sign(initiative=initiative, by=compliance, password=PASSWORD, meaning="approved",
                                    statement="Pilot on 5 West first.")

    assert signature.printed_name == "Grace Okafor"
    assert signature.signed_at_utc == "2026-03-02T14:05:09Z" and ISO_UTC.match(signature.signed_at_utc)
    assert signature.get_meaning_display() == "Approved for launch"
    assert signature.manifestation == "Grace Okafor — 2026-03-02T14:05:09Z — Approved for launch"
    assert len(signature.digest) == 64
    assert Initiative.objects.get(pk=initiative.pk).status == Status.APPROVED
    event = AuditEvent.objects.get(action="initiative_signed")
    assert event.after["manifestation"] == signature.manifestation


def test_the_approval_page_shows_the_manifestation(pm, compliance, leader, login):
    initiative = signed_initiative(pm, compliance)
    signature = initiative.signatures.get()

    for viewer in (leader, pm):
        page = login(viewer).get(reverse("approvals:approval", args=[initiative.slug]))
        assert page.status_code == 200
        html = page.content.decode()
        assert "Grace Okafor" in html and signature.signed_at_utc in html and "Approved for launch" in html


def test_signing_through_the_page_with_a_wrong_password_shows_why(pm, compliance, login):
    initiative = ready_initiative(pm, compliance)

    page = login(compliance).post(reverse("approvals:approval", args=[initiative.slug]),
                                  {"meaning": "approved", "password": "guess", "statement": ""})

    assert page.status_code == 400
    assert "The password is not correct" in page.content.decode()
    assert not Signature.objects.exists()


def test_signing_through_the_page(pm, compliance, password, login):
    initiative = ready_initiative(pm, compliance)

    page = login(compliance).post(reverse("approvals:approval", args=[initiative.slug]),
                                  {"meaning": "approved", "password": password, "statement": ""}, follow=True)

    assert page.status_code == 200
    signature = Signature.objects.get(initiative=initiative)
    assert signature.manifestation in page.content.decode()


def test_reopening_with_a_reason_voids_the_signature_and_keeps_it(pm, compliance, compliance2):
    initiative = signed_initiative(pm, compliance)

    initiative_reopen(initiative=initiative, by=compliance2, reason="Vendor changed the model version.")

    signature = Signature.objects.get(initiative=initiative)
    assert signature.voided_at is not None and signature.voided_by == compliance2
    assert signature.void_reason == "Vendor changed the model version."
    assert Initiative.objects.get(pk=initiative.pk).status == Status.IN_REVIEW
    event = AuditEvent.objects.get(action="initiative_reopened")
    assert event.before["signature"] == signature.manifestation


def test_reopening_without_a_reason_is_refused(pm, compliance):
    initiative = signed_initiative(pm, compliance)
    before = db_state(initiative)

    with pytest.raises(WorkflowError, match="reason for reopening"):
        initiative_reopen(initiative=initiative, by=compliance, reason="   ")

    assert db_state(initiative) == before


def test_reopening_through_the_page(pm, compliance, login):
    initiative = signed_initiative(pm, compliance)
    url = reverse("approvals:reopen", args=[initiative.slug])
    client = login(compliance)

    refused = client.post(url, {"reason": ""}, follow=True)
    assert "Give the reason for reopening" in refused.content.decode()
    assert Initiative.objects.get(pk=initiative.pk).status == Status.APPROVED

    client.post(url, {"reason": "Incident on the pilot ward."})
    assert Initiative.objects.get(pk=initiative.pk).status == Status.IN_REVIEW


def test_a_reason_with_a_control_character_is_refused_saying_so(pm, compliance, login):
    """It used to be told to give a reason, though it had given one (found by the form fuzzer)."""
    initiative = signed_initiative(pm, compliance)
    client = login(compliance)

    page = client.post(reverse("approvals:reopen", args=[initiative.slug]), {"reason": "Pilot\x00 ward"}, follow=True)

    assert "Reason for reopening: Remove the invisible control character U+0000 at character 6" in page.content.decode()
    assert "Give the reason for reopening" not in page.content.decode()
    assert Initiative.objects.get(pk=initiative.pk).status == Status.APPROVED
