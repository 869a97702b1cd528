"""Fuzz every other form: sign-in, password change, initiative create/edit, the final signature
and reopening, dossier request and verification, and the GET filters of the dashboard, its CSV
export and the initiative list."""

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.urls import reverse
from hypothesis import example, given
from hypothesis import strategies as st

from healthpm.approvals.forms import ReopenForm, SignForm
from healthpm.approvals.models import Signature
from healthpm.audit.models import AuditEvent
from healthpm.dossier.models import Dossier
from healthpm.initiatives.forms import InitiativeForm
from healthpm.initiatives.models import Initiative, Status
from healthpm.initiatives.services import EDITABLE_FIELDS
from tests.factories import PASSWORD, InitiativeFactory, fill_gate, gate_of, pdf_bytes, ready_initiative, signed_initiative
from tests.fuzz import fuzz_settings
from tests.fuzz.harness import FormCase, Outcome, as_server_sees, fuzz_request, redirected
from tests.fuzz.strategies import NUL, hostile_file, hostile_text, hostile_value, mutated

pytestmark = pytest.mark.django_db

HUGE = "A" * 100_000
SURROGATE = "\ud800"


def classics(base: dict, key: str) -> list[dict]:
    """The bodies every form must survive whatever Hypothesis draws: NUL, 100k characters and a
    lone surrogate in `key`."""
    return [{**base, key: f"{base.get(key, '')}{NUL}"}, {**base, key: HUGE}, {**base, key: f"x{SURROGATE}y"}]


def with_examples(bodies: list[dict], name: str = "body"):
    def decorate(test):
        for body in reversed(bodies):
            test = example(**{name: body})(test)
        return test

    return decorate


def redirected_to(suffix: str):
    """Success is a redirect to a page ending in `suffix`, without an error message."""
    return lambda response, errors: redirected(response, errors) and response["Location"].endswith(suffix)


# --- signing in and the password ---------------------------------------------------------------
@st.composite
def login_posts(draw):
    base = {"username": "priya", "password": PASSWORD}
    body = draw(mutated(base))
    headers = {}
    if draw(st.booleans()):
        headers[draw(st.sampled_from(["User-Agent", "X-Forwarded-For", "Referer", "Accept-Language"]))] = draw(
            st.one_of(hostile_text(), st.sampled_from(["not-an-ip", "1.2.3.4, 5.6.7.8", "::1", "999.1.1.1", "", " , "])))
    trust_forwarded = draw(st.booleans())
    return body, headers, trust_forwarded


def test_login_never_500_and_a_refusal_only_leaves_its_audit_event(pm, client, settings):
    case = FormCase("login", reverse("login"), None, allowed_statuses=frozenset({200, 302, 400, 403, 429}),
                    refusal_audit=frozenset({"login_failed", "login_locked_out"}))

    def signed_in(outcome: Outcome):
        event = AuditEvent.objects.order_by("-pk").filter(action="login").first()
        assert event is not None and event.actor_id == pm.pk

    base = {"username": "priya", "password": PASSWORD}

    @fuzz_settings(40)
    @with_examples([(body, {}, False) for body in classics(base, "username") + classics(base, "password")]
                   + [(base, {"X-Forwarded-For": "not-an-ip"}, True), (base, {"User-Agent": f"curl{NUL}"}, False),
                      (base, {"User-Agent": SURROGATE}, False), (base, {"X-Forwarded-For": f"10.0.0.1{NUL}"}, True),
                      ({**base, "password": "wrong", "extra": NUL}, {}, False)], "post")
    @given(post=login_posts())
    def run(post):
        body, headers, trust_forwarded = post
        settings.HEALTHPM_TRUST_X_FORWARDED_FOR = trust_forwarded
        case.headers = headers
        fuzz_request(client, case, body, on_success=signed_in)

    run()


@st.composite
def password_changes(draw):
    base = {"old_password": PASSWORD, "new_password1": "Granite-Lantern-Orbit-77",
            "new_password2": "Granite-Lantern-Orbit-77"}
    if draw(st.booleans()):
        # The same hostile password twice, so it reaches the validators and the hasher.
        new = draw(hostile_value("Granite-Lantern-Orbit-77"))
        base = {**base, "new_password1": new, "new_password2": new}
        return base
    return draw(mutated(base))


def test_password_change_never_500_and_stores_the_password_typed(pm, client):
    case = FormCase("password change", reverse("password_change"), pm,
                    succeeded=redirected_to(reverse("password_change_done")))

    @fuzz_settings(25)
    @with_examples([{"old_password": PASSWORD, "new_password1": v, "new_password2": v}
                    for v in (f"Granite{NUL}Lantern-77", HUGE, f"Granite-{SURROGATE}-Lantern-77")])
    @given(body=password_changes())
    def run(body):
        def stored(outcome: Outcome):
            typed = outcome.response.wsgi_request.POST["new_password1"]
            assert get_user_model().objects.get(pk=pm.pk).check_password(typed)

        fuzz_request(client, case, body, on_success=stored)

    run()


# --- initiatives ------------------------------------------------------------------------------------
def initiative_base(owner, collaborator) -> dict:
    return {
        "title": "Sepsis early warning, 5 West", "summary": "Scores inpatients hourly and alerts rapid response.",
        "clinical_area": "critical_care", "intended_use": "Prompts a bedside assessment; never a diagnosis.",
        "intended_users": "Rapid-response nurses", "care_setting": "inpatient", "owner": str(owner.pk),
        "collaborators": [str(collaborator.pk)],
    }


@st.composite
def initiative_posts(draw, base: dict, people: list[str]):
    body = draw(mutated(base))
    if draw(st.integers(0, 3)) == 0:
        field = draw(st.sampled_from(["owner", "collaborators"]))
        body[field] = draw(st.one_of(
            st.sampled_from(people), st.lists(st.sampled_from(people), min_size=2, max_size=4),
            st.sampled_from(["0", "-1", "9" * 30, "1.5", "1e3", "١", "", "None", "[1]", "1,2"])))
    return body


def _stored_as_cleaned(form, initiative: Initiative):
    for name in EDITABLE_FIELDS:
        assert getattr(initiative, name) == form.cleaned_data[name], name
    assert initiative.owner_id == form.cleaned_data["owner"].pk
    expected = {u.pk for u in form.cleaned_data["collaborators"]} - {initiative.owner_id}
    assert set(initiative.collaborators.values_list("pk", flat=True)) == expected


def _people(*users) -> list[str]:
    return [str(u.pk) for u in users]


def test_new_initiative_never_500_and_stores_what_the_form_cleaned(pm, pm2, compliance, outsider, client):
    case = FormCase("initiative new", reverse("initiatives:new"), pm)
    base = initiative_base(pm, pm2)

    @fuzz_settings(30)
    @with_examples(classics(base, "title") + classics(base, "intended_users")
                   + [{**base, "title": "\u200b\u200b"}, {**base, "title": "a\r\nBcc: all@hospital.example"},
                      {**base, "owner": "9" * 30}, {**base, "collaborators": ["9" * 30]},
                      {**base, "collaborators": [str(pm2.pk), str(pm2.pk), str(pm.pk)]}])
    @given(body=initiative_posts(base, _people(pm, pm2, compliance, outsider)))
    def run(body):
        form = InitiativeForm(as_server_sees(body), initial={"owner": pm.pk})
        valid = form.is_valid()

        def created(outcome: Outcome):
            slug = outcome.response["Location"].rstrip("/").split("/")[-1]
            _stored_as_cleaned(form, Initiative.objects.get(slug=slug))

        fuzz_request(client, case, body, expect_valid=valid, on_success=created)

    run()


def test_initiative_edit_never_500_and_stores_what_the_form_cleaned(pm, pm2, compliance, outsider, client):
    initiative = InitiativeFactory(owner=pm)
    case = FormCase("initiative edit", reverse("initiatives:edit", args=[initiative.slug]), pm)
    base = initiative_base(pm, pm2)

    @fuzz_settings(25)
    @with_examples(classics(base, "summary"))
    @given(body=initiative_posts(base, _people(pm, pm2, compliance, outsider)))
    def run(body):
        form = InitiativeForm(as_server_sees(body), instance=Initiative.objects.get(pk=initiative.pk))
        valid = form.is_valid()

        def saved(outcome: Outcome):
            _stored_as_cleaned(form, Initiative.objects.get(pk=initiative.pk))

        fuzz_request(client, case, body, expect_valid=valid, on_success=saved)

    run()


# --- the final signature and reopening --------------------------------------------------------------
def test_signature_never_500_and_records_the_statement_given(pm, compliance, client):
    initiative = ready_initiative(pm, compliance)
    url = reverse("approvals:approval", args=[initiative.slug])
    case = FormCase("approval sign", url, compliance, succeeded=redirected_to(url),
                    refusal_audit=frozenset({"signature_refused", "login_failed", "login_locked_out", "logout"}))
    bases = [{"meaning": "approved", "statement": "", "password": PASSWORD},
             {"meaning": "rejected", "statement": "False alerts cost more than the threshold.", "password": PASSWORD}]

    @fuzz_settings(25)
    @with_examples(classics(bases[1], "statement") + classics(bases[0], "password"))
    @given(body=st.sampled_from(bases).flatmap(mutated))
    def run(body):
        form = SignForm(as_server_sees(body))
        valid = form.is_valid()

        def signed(outcome: Outcome):
            signature = Signature.objects.get(initiative=initiative, voided_at__isnull=True)
            assert signature.meaning == form.cleaned_data["meaning"]
            assert signature.statement == form.cleaned_data["statement"].strip()

        fuzz_request(client, case, body, expect_valid=valid, on_success=signed)

    run()


def test_reopen_never_500_and_records_the_reason_given(pm, compliance, client):
    initiative = signed_initiative(pm, compliance)
    case = FormCase("reopen", reverse("approvals:reopen", args=[initiative.slug]), compliance)
    base = {"reason": "The pilot moves from 5 West to the ICU."}

    @fuzz_settings(20)
    @with_examples(classics(base, "reason"))
    @given(body=mutated(base))
    def run(body):
        form = ReopenForm(as_server_sees(body))
        valid = form.is_valid()

        def reopened(outcome: Outcome):
            assert Initiative.objects.get(pk=initiative.pk).status == Status.IN_REVIEW
            event = AuditEvent.objects.filter(action="initiative_reopened").order_by("-pk").first()
            assert event.after["reason"] == form.cleaned_data["reason"].strip()

        fuzz_request(client, case, body, expect_valid=valid, on_success=reopened)

    run()


# --- dossiers --------------------------------------------------------------------------------------
def test_dossier_request_never_500(pm, client):
    initiative = InitiativeFactory(owner=pm)
    case = FormCase("dossier request", reverse("dossier:page", args=[initiative.slug]), pm)

    @fuzz_settings(8)
    @given(body=mutated({}))
    def run(body):
        def queued(outcome: Outcome):
            assert Dossier.objects.filter(initiative=initiative).count() == 1

        fuzz_request(client, case, body, on_success=queued)

    run()


@st.composite
def verify_posts(draw, samples: dict[str, bytes], limit: int):
    kind = draw(st.sampled_from(["signed", "signed", "draft", "hostile", "none"]))
    if kind == "none":
        return draw(mutated({})), None
    if kind == "hostile":
        name, declared, data = draw(hostile_file(limit))
    else:
        name, declared, data = "dossier.pdf", "application/pdf", samples[kind]
        op = draw(st.sampled_from(["as_is", "flip", "truncate", "append", "incremental", "splice"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip":
            data = data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1:]
        elif op == "truncate":
            data = data[:at]
        elif op == "append":
            data = data + draw(st.sampled_from([b"\n%%EOF\n", b"\x00" * 64, b"trailer<</Root 1 0 R>>\n%%EOF",
                                                b"%PDF-1.7\n"]))
        elif op == "incremental":
            data = data + b"\n1 0 obj<</Type/Catalog/Pages 2 0 R/Names 9 0 R>>endobj\nxref\n0 1\n" + \
                b"0000000000 65535 f \ntrailer<</Size 10/Root 1 0 R/Prev 0>>\nstartxref\n0\n%%EOF\n"
        elif op == "splice":
            data = data[:at] + draw(st.binary(min_size=1, max_size=64)) + data[at:]
    return draw(mutated({})), [("file", name, declared, data)]


def test_dossier_verify_never_500(pm, compliance, pm2, client, signing_cert, settings):
    from tests.dossier.helpers import export

    _, signed = export(signed_initiative(pm, compliance))
    settings.HEALTHPM_MAX_UPLOAD_BYTES = limit = len(signed) + 4096
    settings.HEALTHPM_VERIFY_PER_MINUTE = 10_000  # 31 posts in a few seconds; the limit has its own tests
    case = FormCase("dossier verify", reverse("dossier:verify"), pm2,
                    succeeded=lambda response, errors: response.status_code == 200)

    @fuzz_settings(25)
    @with_examples([({}, [("file", "dossier.pdf", "application/pdf", signed)]),
                    ({}, [("file", "dossier.pdf", "application/pdf", signed + b"\n")]),
                    ({}, [("file", "dossier.pdf", "application/pdf", signed[:-1])]),
                    ({}, [("file", "dossier.pdf", "application/pdf", signed.replace(b"/ByteRange", b"/ByteRangX", 1))]),
                    ({}, [("file", f"dossier{NUL}.pdf", "application/pdf", b"%PDF-" + NUL.encode() * 64)]),
                    ({}, [("file", "dossier.pdf", "application/pdf", b"")])], "post")
    @given(post=verify_posts({"signed": signed, "draft": pdf_bytes()}, limit))
    def run(post):
        body, files = post
        # Each example's savepoint is rolled back, audit events included: the tally of repeated
        # verifications (dossier/verify_limits.py) must forget them too, or a repeat writes nothing.
        cache.clear()

        def answered(outcome: Outcome):
            result = outcome.response.context["result"]
            # Only the very bytes issued are genuine: any change, even a hex digit's case in the
            # signature, is refused (the signature, or else the SHA-256 of the stored version).
            assert result.ok == (result.verdict == "genuine") == (files[-1][3] == signed), result.verdict
            assert AuditEvent.objects.filter(action="dossier_verified", after__verdict=result.verdict).exists()

        fuzz_request(client, case, body, files=files or [], on_success=answered)

    run()


# --- filters in the query string ---------------------------------------------------------------------
@pytest.fixture
def portfolio(pm, pm2, compliance):
    """Two initiatives with facts on the dashboard (a cost, a drill)."""
    first = InitiativeFactory(owner=pm)
    fill_gate(gate_of(first, "false-positive-cost"), pm)
    second = InitiativeFactory(owner=pm2, clinical_area="radiology")
    fill_gate(gate_of(second, "paper-fallback"), pm2)
    return first, second


def _filters(pm) -> dict:
    return {"clinical_area": "critical_care", "owner": str(pm.pk), "status": "draft", "sort": "cost", "page": "1"}


@pytest.mark.parametrize("view", ["dashboard:portfolio", "dashboard:export_csv", "dashboard:export_xlsx"])
def test_dashboard_filters_never_500_and_never_write(view, portfolio, pm, leader, client):
    case = FormCase(f"GET {view}", reverse(view), leader, method="get", allowed_statuses=frozenset({200}),
                    read_only=True)
    base = _filters(pm)

    @fuzz_settings(20)
    @with_examples([{**base, "owner": "9" * 30}, {**base, "page": "9" * 5000}, {**base, "sort": NUL},
                    {**base, "owner": "-1"}, {**base, "page": "-1"}, {**base, "status": [NUL, "draft"]}])
    @given(body=mutated(base))
    def run(body):
        fuzz_request(client, case, body)

    run()


def test_initiative_list_filters_never_500_and_never_write(portfolio, pm, client):
    case = FormCase("GET initiatives:list", reverse("initiatives:list"), pm, method="get",
                    allowed_statuses=frozenset({200}), read_only=True)
    base = {"scope": "all", "status": "draft", "page": "1"}

    @fuzz_settings(15)
    @with_examples([{**base, "page": "9" * 5000}, {**base, "scope": NUL}])
    @given(body=mutated(base))
    def run(body):
        fuzz_request(client, case, body)

    run()
