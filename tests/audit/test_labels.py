"""The trail as people read it: human action labels and printed names (issue 13)."""

import pytest
from django.urls import reverse

from healthpm.audit.labels import action_label
from healthpm.audit.models import AuditEvent
from tests.factories import InitiativeFactory, approved_gate

pytestmark = pytest.mark.django_db


def test_known_codes_have_labels_and_unknown_ones_read_as_words():
    assert action_label("gate_approved") == "Gate approved"
    assert action_label("evidence_replaced") == "Evidence replaced by a new version"
    assert action_label("gate_withdrawn") == "Gate withdrawn"  # a code added later still reads as words


def test_the_overview_trail_shows_labels_and_printed_names(pm, compliance, login):
    initiative = InitiativeFactory(owner=pm, title="Sepsis early warning")
    approved_gate(initiative, pm, compliance)
    assert AuditEvent.objects.filter(action="gate_approved", actor=compliance).exists()

    page = login(pm).get(reverse("initiatives:overview", args=[initiative.slug])).content.decode()
    trail = page.split("Audit trail", 1)[1].split("</table>", 1)[0]

    assert "<td>Gate approved</td>" in trail and "<td>Grace Okafor</td>" in trail
    assert "<td>Initiative registered</td>" in trail and "<td>Priya Patel</td>" in trail
    assert "gate_approved" not in trail and "<td>grace</td>" not in trail and "<td>priya</td>" not in trail
    assert "in_progress" not in trail and "in_review" not in trail
