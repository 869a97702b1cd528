"""The checklist registry: released checklists are frozen, versions are explicit, the system
checks refuse a malformed registry or an initiative held to an unknown checklist."""

import hashlib
import inspect
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.urls import reverse

from healthpm.gates import checks, registry
from healthpm.gates.definitions.base import GateDefinition, UnknownGate
from healthpm.initiatives.models import Initiative
from tests.factories import InitiativeFactory

FINGERPRINTS = Path(__file__).with_name("checklist_fingerprints.json")
# The methods whose code decides a verdict: editing one changes the rules under initiatives
# already held to a released checklist.
RULES = ("findings", "final_findings", "structured_complete", "required_items")


def _source_sha(obj) -> str:
    return hashlib.sha256(inspect.getsource(obj).encode()).hexdigest()[:16]


def _form_fields(definition: GateDefinition) -> dict[str, list[str]]:
    form_class = definition.form_class
    if form_class is None:
        return {}
    from datetime import date

    from healthpm.gates.context import thresholds
    from healthpm.gates.definitions.base import EvaluationContext

    form = form_class(gate=None, context=EvaluationContext(today=date(2026, 1, 1), thresholds=thresholds()))
    fields = {"main": sorted(form.main.fields)}
    for table in form.tables:  # a paged table is not a formset: its row form has the same fields
        fields[table.key] = sorted({*form.row_form(table).fields, "DELETE"})
    return fields


def fingerprint(checklist: registry.Checklist) -> dict:
    """Gate keys in order, item keys, form field names, thresholds and the code of each rule."""
    gates = []
    for gate in checklist.gates:
        cls = type(gate)
        gates.append({
            "key": gate.key,
            "items": [[i.key, i.structured, _source_sha(i.required_when) if i.required_when else None]
                      for i in gate.items],
            "fields": _form_fields(gate),
            "thresholds": dict(gate.thresholds),
            "rules": {name: _source_sha(getattr(cls, name)) for name in RULES
                      if getattr(cls, name) is not getattr(GateDefinition, name)},
        })
    return {"version": checklist.version, "gates": gates}


@pytest.mark.django_db  # the monitoring plan's owner choices are the active users
def test_released_checklists_are_frozen():
    """A failure here means a released checklist changed under the initiatives held to it.

    Do not update the stored fingerprint: put the changed gate (a new definition, e.g.
    `GATE_V2` with its own key or module) in a new, unreleased checklist, and leave the
    released one as it was. Only a change that cannot alter any verdict (a typo in a message)
    may be recorded, by regenerating the file with `HEALTHPM_RECORD_FINGERPRINTS=1`.
    """
    import os

    released = {str(c.version): fingerprint(c) for c in registry.CHECKLISTS if c.released}
    if os.environ.get("HEALTHPM_RECORD_FINGERPRINTS"):
        FINGERPRINTS.write_text(json.dumps(released, indent=1, sort_keys=True) + "\n")
    stored = json.loads(FINGERPRINTS.read_text())
    for version, current in released.items():
        assert version in stored, f"Checklist v{version} is released but has no stored fingerprint."
        assert current == stored[version], f"Released checklist v{version} changed (see this test's docstring)."
    assert set(stored) <= set(released), "A released checklist disappeared from the registry."


def test_the_fingerprint_sees_a_changed_rule(monkeypatch):
    checklist = registry.checklist(1)
    before = fingerprint(checklist)
    gate = checklist.gates[0]

    class Stricter(type(gate)):
        def findings(self, data, ctx):
            return []

    monkeypatch.setattr(gate, "__class__", Stricter)
    assert fingerprint(checklist) != before


def test_a_gate_position_comes_from_its_checklist():
    checklist = registry.checklist(1)
    assert [checklist.position(k) for k in checklist.keys] == list(range(1, len(checklist.gates) + 1))
    assert checklist.next_after(checklist.keys[-1]) is None
    with pytest.raises(UnknownGate):
        checklist.gate("no-such-gate")
    with pytest.raises(UnknownGate):
        registry.definition(999, checklist.keys[0])


def test_current_is_read_at_call_time(settings, monkeypatch):
    draft = registry.Checklist(999, registry.checklist(1).gates[:2])
    monkeypatch.setattr(registry, "CHECKLISTS", (*registry.CHECKLISTS, draft))
    settings.HEALTHPM_CHECKLIST_VERSION = 999
    assert registry.current() is draft


@pytest.mark.django_db
def test_an_initiative_takes_an_explicit_checklist_version(pm, monkeypatch):
    draft = registry.Checklist(999, tuple(reversed(registry.checklist(1).gates[:2])))
    monkeypatch.setattr(registry, "CHECKLISTS", (*registry.CHECKLISTS, draft))

    initiative = InitiativeFactory(owner=pm)
    assert initiative.checklist_version == registry.current().version == 2

    from healthpm.initiatives.services import initiative_create

    other = initiative_create(by=pm, fields={f: getattr(initiative, f) for f in (
        "title", "summary", "clinical_area", "intended_use", "intended_users", "care_setting")},
        checklist_version=999)
    assert other.checklist_version == 999
    assert list(other.gates.order_by("order").values_list("key", flat=True)) == draft.keys


def test_the_system_check_refuses_duplicate_keys_and_versions(monkeypatch, settings):
    settings.HEALTHPM_CHECKLIST_VERSION = 1
    gates = registry.checklist(1).gates
    monkeypatch.setattr(registry, "CHECKLISTS", (registry.Checklist(1, (*gates, gates[0])),
                                                 registry.Checklist(1, gates)))
    ids = [e.id for e in checks.checklists_are_well_formed()]
    assert ids == ["healthpm.E001", "healthpm.E002"]


def test_the_system_check_refuses_an_unknown_current_version(settings):
    settings.HEALTHPM_CHECKLIST_VERSION = 42
    assert [e.id for e in checks.checklists_are_well_formed()] == ["healthpm.E003"]


@pytest.mark.django_db
def test_the_database_check_refuses_an_initiative_on_an_unknown_checklist(pm, client):
    initiative = InitiativeFactory(owner=pm)
    call_command("check", databases=["default"])  # clean
    Initiative.objects.filter(pk=initiative.pk).update(checklist_version=42)

    [error] = checks.initiatives_point_at_registered_checklists(databases=["default"])
    assert error.id == "healthpm.E004" and "v42" in error.msg
    with pytest.raises(SystemCheckError):
        call_command("check", databases=["default"])
    # The pages answer 404 for its gates instead of failing.
    client.force_login(pm)
    key = registry.checklist(1).keys[0]
    assert client.get(reverse("gates:detail", args=[initiative.slug, key])).status_code == 404
