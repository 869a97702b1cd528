"""Fuzz the gate page's forms: the six structured gate forms (save and live preview), evidence
upload, submission and the compliance decision, each posted by the persona allowed to use it."""

import hashlib
import json
import math
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import example, given
from hypothesis import strategies as st

from healthpm.gates.context import evaluation_context
from healthpm.gates.forms import DecisionForm, EvidenceForm, SubmitForm
from healthpm.gates.models import Evidence, Gate, GateDecision, GateStatus
from healthpm.gates import registry
from healthpm.gates.tables import declared_tables
from tests.factories import (
    InitiativeFactory,
    context,
    example_data,
    add_link,
    evidence_gate,
    fill_gate,
    fresh,
    gate_of,
    pdf_bytes,
    rejected_gate,
    submitted_gate,
    valid_data,
)
from tests.fuzz import fuzz_settings
from tests.fuzz.harness import FormCase, Outcome, as_server_sees, assert_pages_open, fuzz_request
from tests.fuzz.strategies import NUL, hostile_file, mutated, tampered_formset
from tests.gates.rules.helpers import ROWS_KEYS, input_row, page_post

pytestmark = pytest.mark.django_db

# Every gate with a form, of every checklist: a new gate is fuzzed without touching this file.
GATE_KEYS = [d.key for d in registry.all_gates() if d.form_class is not None]
# The paged tables (the input inventory), whose rows are saved one at a time, and the gates whose
# page has no facts form besides (the POST is refused with 405: test_structured_workflow).
PAGED = [(d.key, t) for d in registry.all_gates() if d.form_class is not None for t in d.form_class.tables if t.paged]
PAGED_ONLY = {d.key for d in registry.all_gates() if d.form_class is not None and d.form_class.tables
              and all(t.paged for t in d.form_class.tables) and not d.form_class.main_form_class.base_fields}
ROW_FIELDS = {(d.key, table.key): [name for name in table.form_class.base_fields if name != "DELETE"]
              for d in registry.all_gates() if d.form_class is not None for table in d.form_class.tables}


def other_answers(key: str, baa_pk: int | None) -> list[dict]:
    """Valid answers besides valid_data(key), so the fuzz also starts from the gate's other branches
    (hand-picked for the six core gates; CLASSICS index them)."""
    today = timezone.localdate()
    base = valid_data(key)
    if key == "auditable-inputs":
        return [{"inputs": [input_row(), input_row("patient_zip5", source_system="EHR", justification="Travel time.")]}]
    if key == "false-positive-cost":
        return [{**base, "mode": "derived", "alerts_per_day": None, "ppv": None, "evaluated_per_day": 400.0,
                 "sensitivity": 0.8, "specificity": 0.95, "prevalence": 0.02}]
    if key == "cognitive-load":
        return [{**base, "roles_before": ["physician", "registered_nurse"], "roles_after": ["medical_assistant"]}]
    if key == "regulatory-classification":
        return [{**base, "no_image_or_signal": False, "situation": "serious", "significance": "drive", "pathway": "510k",
                 "predicate_number": "K213456", "clearance_number": "", "adaptive": True}]
    if key == "baa-phi":
        return [{**base, "identifiers": ["names", "mrn"], "deidentification": "none",
                 "minimum_necessary": "Name and MRN are needed to route the alert.",
                 "vendors": [{"name": "Acme Transcribe", "service": "model_api", "touches_phi": True,
                              "baa_evidence": str(baa_pk), "baa_effective": (today - timedelta(days=100)).isoformat(),
                              "baa_expiry": (today + timedelta(days=300)).isoformat()},
                             {"name": "Cloudy Hosting", "service": "hosting", "touches_phi": False,
                              "baa_evidence": "", "baa_effective": "", "baa_expiry": ""}]}]
    return []


def starting_answers(key: str, baa) -> list[dict]:
    """The passing example, the other branches, and last the gate's own blocking example."""
    return [valid_data(key), *other_answers(key, baa.pk if baa else None), example_data(key, "blocking")]


HUGE = "A" * 100_000

# Bodies every gate form must survive whatever Hypothesis draws: (which starting answers,
# fields changed in their POST). NUL, 100k characters, a lone surrogate, exotic numbers and
# dates, and for the tables a tampered management form and a duplicated row.
CLASSICS = {
    "auditable-inputs": [
        (0, {"inputs-0-name": f"lactate{NUL}"}), (0, {"inputs-0-source_field": HUGE}),
        (0, {"inputs-0-notes": "a\ud800b"}), (0, {"inputs-TOTAL_FORMS": "99999999999999999999"}),
        (0, {"inputs-TOTAL_FORMS": "-1"}), (1, {"inputs-1-name": " LACTATE_LAST_6H "}),
    ],
    "false-positive-cost": [
        (0, {"gate-volume_source": f"Silent run{NUL}"}), (0, {"gate-alerts_per_day": "1e309"}),
        (0, {"gate-ppv": "NaN"}), (0, {"gate-days_per_month": "9" * 5000}),
        (0, {"gate-alerts_per_day": "1e7", "gate-minutes_per_false_alert": "1440"}),
        (1, {"gate-evaluated_per_day": "1e308", "gate-prevalence": "-0"}),
    ],
    "paper-fallback": [
        (0, {"gate-procedure_owner": f"Nurse{NUL}manager"}), (0, {"gate-last_drill_date": "0001-01-01"}),
        (0, {"gate-last_drill_date": "2026-02-30"}), (0, {"gate-last_drill_date": "9999-12-31"}),
        (0, {"gate-notification_path": HUGE}),
    ],
    "cognitive-load": [
        (0, {"gate-task": "Reviewing\r\nBcc: all@hospital.example"}), (0, {"gate-cases_measured": "9" * 4000}),
        (0, {"gate-after_minutes": "1e308", "gate-cases_per_day": "1e308"}),
        (1, {"gate-roles_after": ["medical_assistant", "medical_assistant", NUL]}),
    ],
    "regulatory-classification": [
        (0, {"gate-no_image_or_signal_rationale": f"Per memo{NUL}"}), (0, {"gate-predicate_number": HUGE}),
        (1, {"gate-predicate_number": "k213456"}), (1, {"gate-situation": "critical\x00"}),
    ],
    "baa-phi": [
        (0, {"gate-retention": f"30 days{NUL}"}), (0, {"gate-identifiers": ["names", "names", "bogus"]}),
        (1, {"vendors-0-baa_expiry": "9999-12-31", "vendors-0-baa_effective": "0001-01-01"}),
        (1, {"vendors-0-baa_evidence": "9" * 30}), (1, {"vendors-1-name": "acme transcribe"}),
    ],
}


def classics_of(gate: Gate, key: str) -> list[tuple[int, dict]]:
    """The hand-written hostile bodies of a core gate; for any other gate, NUL, 100,000
    characters and a lone surrogate in each of its main form's text fields."""
    if key in CLASSICS:
        return CLASSICS[key]
    from django import forms

    form = gate.definition.form_class(gate=gate, context=context())
    texts = [name for name, field in form.main.fields.items() if isinstance(field, forms.CharField)]
    return [(0, {f"gate-{name}": value}) for name in texts for value in (f"A{NUL}", HUGE, "a\ud800b")]


@pytest.fixture(autouse=True)
def _small_tables(monkeypatch):
    """Tables hold 12 rows here instead of 200: a refused table re-renders every row it was sent
    (about 30 ms each), and test_structured_workflow proves the real limit."""
    from healthpm.gates.definitions.forms_base import GateForm

    monkeypatch.setattr(GateForm, "max_rows", 12)


@pytest.fixture
def gates(pm, key):
    """An initiative of the PM's on a checklist that has the gate: every gate empty, except a
    current BAA uploaded for the vendor rows where the checklist has the BAA gate."""
    version = next(c.version for c in (registry.current(), *registry.CHECKLISTS) if key in c.keys)
    initiative = InitiativeFactory(owner=pm, checklist_version=version)
    baa = None
    if "baa-phi" in registry.checklist(version).keys:
        baa = add_link(gate_of(initiative, "baa-phi"), pm, "baa-agreements")
    return initiative, baa


def still_shown(gate: Gate, pm, leader) -> None:
    """What a save stored renders on every page that shows it, and the daily reminders cope."""
    initiative = gate.initiative
    assert_pages_open([
        (pm, reverse("gates:detail", args=[initiative.slug, gate.key])),
        (pm, reverse("initiatives:overview", args=[initiative.slug])),
        (leader, reverse("dashboard:portfolio")),
        (leader, reverse("dashboard:export_csv")),
        (leader, reverse("dashboard:export_xlsx")),
        # Each of the gate's tables as XLSX: whatever a save stored becomes cells.
        *[(leader, reverse("gates:table_xlsx", args=[initiative.slug, gate.key, table.key]))
          for table in declared_tables(gate.definition)],
    ], reminders=True)


def with_examples(bodies: list[dict]):
    def decorate(test):
        for body in reversed(bodies):
            test = example(body=body)(test)
        return test

    return decorate


def with_posts(posts: list):
    def decorate(test):
        for post in reversed(posts):
            test = example(post=post)(test)
        return test

    return decorate


def normalised(value):
    """JSON as stored (tuples become lists, keys strings)."""
    return json.loads(json.dumps(value))


def assert_same_json(stored, expected, path="data"):
    """Equal as JSON, numbers compared as numbers: PostgreSQL's jsonb hands 1e20 back as an int."""
    stored, expected = normalised(stored), normalised(expected)
    numbers = (int, float)
    if isinstance(expected, numbers) and isinstance(stored, numbers) and not isinstance(expected, bool):
        if isinstance(expected, int) and isinstance(stored, int):
            assert stored == expected, f"{path}: stored {stored!r}, the form cleaned {expected!r}"
        else:
            assert math.isclose(stored, expected, rel_tol=1e-12), f"{path}: stored {stored!r}, the form cleaned {expected!r}"
        return
    if isinstance(expected, dict) and isinstance(stored, dict):
        assert stored.keys() == expected.keys(), f"{path}: stored keys {sorted(stored)} != {sorted(expected)}"
        for k in expected:
            assert_same_json(stored[k], expected[k], f"{path}.{k}")
        return
    if isinstance(expected, list) and isinstance(stored, list) and len(stored) == len(expected):
        for n, (s, e) in enumerate(zip(stored, expected)):
            assert_same_json(s, e, f"{path}[{n}]")
        return
    assert stored == expected, f"{path}: stored {stored!r}, the form cleaned {expected!r}"


@st.composite
def gate_bodies(draw, gate: Gate, starts: list[dict]):
    answers = draw(st.sampled_from(starts))
    body = page_post(gate, answers)
    body = draw(mutated(body))
    tables = ROWS_KEYS.get(gate.key)
    if tables and draw(st.booleans()):
        table = draw(st.sampled_from(tables))
        body = draw(tampered_formset(body, table, ROW_FIELDS[gate.key, table]))
    return body


# Every gate empty; the gates with tables of rows also with rows already saved, so the
# management form's INITIAL_FORMS and the saved rows are in play.
GATE_STATES = [(key, False) for key in GATE_KEYS if key not in PAGED_ONLY] + \
    [(key, True) for key in ROWS_KEYS if key not in PAGED_ONLY]


@pytest.mark.parametrize(("key", "saved_before"), GATE_STATES,
                         ids=[f"{key}-{'saved' if saved else 'empty'}" for key, saved in GATE_STATES])
def test_gate_form_never_500_and_saves_exactly_what_it_cleaned(key, saved_before, gates, pm, leader, client):
    initiative, baa = gates
    gate = gate_of(initiative, key)
    starts = starting_answers(key, baa)
    if saved_before:
        gate = fill_gate(gate, pm, starts[-2])
    gate = fresh(gate)
    case = FormCase(f"gate form: {key}{' (rows saved)' if saved_before else ''}",
                    reverse("gates:detail", args=[initiative.slug, key]), pm)
    classics = [{**page_post(gate, starts[start]), **changes} for start, changes in classics_of(gate, key)]

    @fuzz_settings(15)
    @with_examples([] if saved_before else classics)
    @given(body=gate_bodies(gate, starts))
    def run(body):
        form = gate.definition.form_class(as_server_sees(body), initial=gate.data, gate=gate, context=evaluation_context())
        valid = form.is_valid()
        expected = form.to_data() if valid else None

        def stored_as_cleaned(outcome: Outcome):
            assert_same_json(Gate.objects.get(pk=gate.pk).data, expected)
            still_shown(gate, pm, leader)

        fuzz_request(client, case, body, expect_valid=valid, on_success=stored_as_cleaned)

    run()


@st.composite
def row_bodies(draw, table, starts: list[dict]):
    row = draw(st.sampled_from(starts))
    body = {f"add-{table.key}-{name}": "" if value is None else str(value) for name, value in row.items()}
    return draw(mutated(body))


@pytest.mark.parametrize(("key", "table"), PAGED, ids=[f"{key}-{table.key}" for key, table in PAGED])
def test_a_paged_row_save_never_500_and_stores_exactly_the_cleaned_row(key, table, gates, pm, leader, client):
    from healthpm.gates.rows import row_key

    initiative, baa = gates
    gate = fresh(fill_gate(gate_of(initiative, key), pm, valid_data(key)))
    starts = [dict(row, name=f"{row['name']}_new") for answers in starting_answers(key, baa)
              for row in answers.get(table.key) or []]
    saved = {row_key(r[table.form_class.name_field]) for r in gate.data[table.key]}
    case = FormCase(f"row save: {key} {table.key}",
                    reverse("gates:table_row_save", args=[initiative.slug, key, table.key]), pm)
    prefix = f"add-{table.key}"
    classics = [{f"{prefix}-name": f"lactate{NUL}"}, {f"{prefix}-source_field": HUGE}, {f"{prefix}-notes": "a\ud800b"},
                {f"{prefix}-name": " LACTATE_LAST_6H "}, {f"{prefix}-timestamped": "maybe"}]
    first = {f"{prefix}-{n}": "" if v is None else str(v) for n, v in starts[0].items()}

    @fuzz_settings(15)
    @with_examples([{**first, **changes} for changes in classics])
    @given(body=row_bodies(table, starts))
    def run(body):
        form = gate.definition.form_class(initial={}, gate=gate, context=evaluation_context()).row_form(
            table, as_server_sees(body), prefix=prefix)
        valid = form.is_valid() and row_key(form.cleaned_data.get(table.form_class.name_field)) not in saved
        expected = form.to_data() if valid else None

        def stored_as_cleaned(outcome: Outcome):
            rows = Gate.objects.get(pk=gate.pk).data[table.key]
            assert len(rows) == len(gate.data[table.key]) + 1
            assert_same_json(rows[-1], expected)
            still_shown(gate, pm, leader)

        fuzz_request(client, case, body, expect_valid=valid, on_success=stored_as_cleaned)

    run()


@pytest.mark.parametrize("key", GATE_KEYS)
def test_live_preview_never_500_and_never_writes(key, gates, pm, client):
    initiative, baa = gates
    gate = fresh(gate_of(initiative, key))
    starts = starting_answers(key, baa)
    case = FormCase(f"gate preview: {key}", reverse("gates:preview", args=[initiative.slug, key]), pm,
                    allowed_statuses=frozenset({200}), read_only=True, headers={"HX-Request": "true"})

    @fuzz_settings(6)
    @with_examples([{**page_post(gate, starts[start]), **changes} for start, changes in classics_of(gate, key)])
    @given(body=gate_bodies(gate, starts))
    def run(body):
        fuzz_request(client, case, body)

    run()


# --- evidence ---------------------------------------------------------------------------------
@st.composite
def evidence_posts(draw, replaceable: int, limit: int):
    today = timezone.localdate()
    base = {"item": "drill-record", "effective_date": (today - timedelta(days=10)).isoformat(), "expiry_date": "",
            "title": "Drill minutes, 5 West"}
    with_file = draw(st.booleans())
    if not with_file or draw(st.integers(0, 5)) == 0:  # now and then both a file and a link
        base["url"] = "https://policies.hospital.example/drills/5-west"
    if draw(st.booleans()):
        base["replaces"] = str(replaceable)
    body = draw(mutated(base))
    files = None
    if with_file:
        name, declared, data = draw(st.one_of(
            st.just(("drill-minutes.pdf", "application/pdf", None)),
            hostile_file(limit),
        ))
        if data is None:
            data = pdf_bytes()
        files = [("file", name, declared, data)]
    raw_names = draw(st.booleans())
    return body, files, raw_names


def evidence_classics(existing: int, limit: int) -> list:
    link = {"item": "drill-record", "effective_date": "2025-01-10", "expiry_date": "", "title": "Drill minutes",
            "url": "https://policies.hospital.example/drills"}
    no_link = {k: v for k, v in link.items() if k != "url"}
    pdf = ("file", "drill.pdf", "application/pdf", pdf_bytes())
    return [
        (link, None, False), ({**link, "title": f"Drill{NUL}"}, None, False), ({**link, "title": HUGE}, None, False),
        ({**link, "effective_date": "0001-01-01", "expiry_date": "0001-01-05"}, None, False),
        ({**link, "expiry_date": "9999-12-31"}, None, False), ({**link, "effective_date": "2026-02-30"}, None, False),
        ({**link, "url": f"https://evil.example/{NUL}"}, None, False), ({**link, "url": "javascript:alert(1)"}, None, False),
        ({**link, "url": "https://" + "a" * 2000 + ".example"}, None, False),
        ({**link, "replaces": "9" * 30}, None, False), ({**link, "replaces": "-1"}, None, False),
        ({**link, "replaces": str(existing), "item": "paper-checklist"}, None, False),
        (no_link, [pdf], False), (no_link, [("file", f"drill{NUL}.pdf", "application/pdf", pdf_bytes())], True),
        (no_link, [("file", "../../etc/passwd", "text/plain", b"root:x:0:0")], True),
        (no_link, [("file", 'a"\r\nContent-Type: text/html\r\n\r\n<script>.pdf', "application/pdf", pdf_bytes())], True),
        (no_link, [("file", "drill.pdf", "application/pdf", b"")], False),
        (no_link, [("file", "drill.pdf", "application/pdf", pdf_bytes() + b"0" * limit)], False),
        (no_link, [("file", "x" * 300 + ".pdf", "application/pdf", pdf_bytes())], False),
        (no_link, [pdf, ("file", "second.exe", "application/x-msdownload", b"MZ" + b"\x00" * 64)], False),
        (no_link, [("file", "\ud800.pdf", "application/pdf", pdf_bytes())], True),
    ]


def test_evidence_upload_never_500_and_stores_the_bytes_sent(pm, leader, client, small_uploads):
    initiative = InitiativeFactory(owner=pm)
    gate = gate_of(initiative, "paper-fallback")
    existing = add_link(gate, pm, "drill-record")
    case = FormCase("evidence upload", reverse("gates:evidence_add", args=[initiative.slug, gate.key]), pm)

    @fuzz_settings(30)
    @with_posts(evidence_classics(existing.pk, small_uploads))
    @given(post=evidence_posts(existing.pk, small_uploads))
    def run(post):
        body, files, raw_names = post

        def stored_as_sent(outcome: Outcome):
            request = outcome.response.wsgi_request
            evidence = Evidence.objects.filter(gate=gate).order_by("-pk").first()
            assert evidence.pk != existing.pk
            fields = EvidenceForm.base_fields
            assert evidence.title == fields["title"].clean(request.POST.get("title"))
            assert evidence.effective_date == fields["effective_date"].clean(request.POST.get("effective_date"))
            assert evidence.expiry_date == fields["expiry_date"].clean(request.POST.get("expiry_date"))
            upload = request.FILES.get("file")
            if evidence.kind == Evidence.Kind.FILE:
                sent = files[-1][3]  # with the key sent twice, the last file is the one taken
                assert evidence.sha256 == hashlib.sha256(sent).hexdigest()
                assert evidence.size == len(sent) and evidence.original_name == upload.name
                with evidence.file.open("rb") as stored:
                    assert stored.read() == sent
            else:
                assert evidence.url == fields["url"].clean(request.POST.get("url")).strip()
            still_shown(gate, pm, leader)

        fuzz_request(client, case, body, files=files or [], raw_names=raw_names, on_success=stored_as_sent)

    run()


# --- submission and decision ----------------------------------------------------------------------
def test_submit_never_500_and_a_refused_note_is_said(pm, client):
    initiative = InitiativeFactory(owner=pm)
    gate = evidence_gate(gate_of(initiative, "paper-fallback"), pm)
    case = FormCase("submit", reverse("gates:submit", args=[initiative.slug, gate.key]), pm)

    note = {"note": "Drill record attached; procedure owner confirmed."}

    @fuzz_settings(15)
    @with_examples([note, {"note": f"Ready{NUL}"}, {"note": HUGE}, {"note": "a\ud800b"}, {"note": [NUL, "Ready"]}])
    @given(body=mutated(note))
    def run(body):
        form = SubmitForm(as_server_sees(body))
        valid = form.is_valid()

        def submitted_with_note(outcome: Outcome):
            stored = Gate.objects.get(pk=gate.pk)
            assert stored.status == GateStatus.SUBMITTED
            assert stored.submission_note == form.cleaned_data["note"].strip()

        fuzz_request(client, case, body, expect_valid=valid, on_success=submitted_with_note)

    run()


def test_resubmit_never_500_and_stores_the_response_as_cleaned(pm, compliance, client):
    """After a rejection the submit form also takes the response to the reviewer (required)."""
    initiative = InitiativeFactory(owner=pm)
    gate = rejected_gate(initiative, pm, compliance, "paper-fallback")
    rejection = gate.rejection_to_answer()
    case = FormCase("resubmit", reverse("gates:submit", args=[initiative.slug, gate.key]), pm)
    base = {"note": "", "response": "The drill minutes are now signed by the unit manager."}

    @fuzz_settings(15)
    @with_examples([base, {**base, "response": ""}, {**base, "response": " \t\r\n "},
                    {**base, "response": f"Signed{NUL}"}, {**base, "response": HUGE}, {**base, "response": "a\ud800b"},
                    {"note": "Ready"}, {**base, "response": [NUL, "Signed"]}])
    @given(body=mutated(base))
    def run(body):
        form = SubmitForm(as_server_sees(body), rejection=rejection)
        valid = form.is_valid()

        def stored_as_cleaned(outcome: Outcome):
            stored = Gate.objects.get(pk=gate.pk)
            assert stored.status == GateStatus.SUBMITTED
            assert stored.rejection_response == form.cleaned_data["response"].strip()

        fuzz_request(client, case, body, expect_valid=valid, on_success=stored_as_cleaned)

    run()


def test_decision_never_500_and_records_the_reason_given(pm, compliance, client):
    initiative = InitiativeFactory(owner=pm)
    gate = submitted_gate(initiative, pm, "paper-fallback")
    case = FormCase("decide", reverse("gates:decide", args=[initiative.slug, gate.key]), compliance,
                    allowed_statuses=frozenset({200, 302, 400, 409}))
    bases = [{"decision": "approved", "reason": ""},
             {"decision": "rejected", "reason": "The drill record is unsigned; attach the signed minutes."}]

    @fuzz_settings(15)
    @with_examples([*bases, {**bases[1], "reason": f"Unsigned{NUL}"}, {**bases[1], "reason": HUGE},
                    {**bases[1], "reason": " \t\r\n "}, {"decision": ["approved", "rejected"], "reason": ""},
                    {"decision": "APPROVED"}, {"decision": f"approved{NUL}"}])
    @given(body=st.sampled_from(bases).flatmap(mutated))
    def run(body):
        form = DecisionForm(as_server_sees(body))
        valid = form.is_valid()

        def decided_as_cleaned(outcome: Outcome):
            made = GateDecision.objects.filter(gate=gate).order_by("-pk").first()
            assert made is not None and made.decision == form.cleaned_data["decision"]
            assert made.reason == form.cleaned_data["reason"].strip()

        fuzz_request(client, case, body, expect_valid=valid, on_success=decided_as_cleaned)

    run()
