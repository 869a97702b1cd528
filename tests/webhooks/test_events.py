"""The domain events reach the outbox with the payloads the README documents."""

import pytest
from django.conf import settings

from healthpm.gates.models import Gate
from healthpm.webhooks.models import WebhookDelivery
from tests.factories import InitiativeFactory, rejected_gate, signed_initiative

pytestmark = pytest.mark.django_db


def test_gate_decided_and_final_decision(pm, compliance, make_endpoint):
    endpoint, _ = make_endpoint("https://hooks.example.org/healthpm", ["gate.decided", "initiative.final_decision"])
    initiative = signed_initiative(pm, compliance)

    gate_keys = list(Gate.objects.filter(initiative=initiative).order_by("order").values_list("key", flat=True))
    decided = WebhookDelivery.objects.filter(endpoint=endpoint, event_type="gate.decided").order_by("pk")
    assert [d.payload["data"]["gate"]["key"] for d in decided] == gate_keys  # no gate.submitted: not subscribed
    first = decided[0].payload["data"]
    assert first["decision"]["decision"] == "approved" and first["decision"]["by"] == "Grace Okafor"
    assert first["decision"]["submitted_at"] and first["gate"]["status"] == "approved"
    assert decided[0].initiative == initiative

    final = WebhookDelivery.objects.get(endpoint=endpoint, event_type="initiative.final_decision")
    assert final.payload["type"] == "initiative.final_decision"
    data = final.payload["data"]
    signature = initiative.signatures.get()
    site = settings.SITE_URL.rstrip("/")
    assert data["initiative"] == {"slug": initiative.slug, "title": initiative.title, "status": "approved",
                                  "url": f"{site}/initiatives/{initiative.slug}/"}
    assert data["signature"] == {"id": signature.pk, "meaning": "approved", "statement": "",
                                 "signed_by": "Grace Okafor", "signed_at": signature.signed_at.isoformat(),
                                 "digest": signature.digest}
    assert data["url"] == f"{site}/initiatives/{initiative.slug}/approval/"
    assert final.initiative == initiative and WebhookDelivery.objects.count() == len(gate_keys) + 1


def test_a_rejection_carries_its_reason(pm, compliance, make_endpoint):
    make_endpoint("https://hooks.example.org/healthpm", ["gate.decided"])
    gate = rejected_gate(InitiativeFactory(owner=pm), pm, compliance)
    delivery = WebhookDelivery.objects.get(event_type="gate.decided")
    decision = delivery.payload["data"]["decision"]
    assert decision["decision"] == "rejected" and decision["reason"] == "The lineage document is a draft."
    assert delivery.payload["data"]["gate"]["key"] == gate.key
