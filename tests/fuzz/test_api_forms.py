"""Fuzz the API's inputs and the tokens page: the evidence upload (multipart, hostile files and
names), the initiative list's filters and a new token's form. Never a 500; an API refusal is
problem+json and writes nothing; what is stored is what the form cleaned."""

import hashlib
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from healthpm.api.forms import TokenForm
from healthpm.api.models import ApiToken, Scope
from healthpm.api.tokens import token_create
from healthpm.gates.models import Evidence
from healthpm.initiatives.models import ClinicalArea, Status
from tests.factories import InitiativeFactory, add_link, gate_of
from tests.fuzz import fuzz_settings
from tests.fuzz.harness import FormCase, Outcome, as_server_sees, fuzz_request
from tests.fuzz.strategies import mutated
from tests.fuzz.test_gate_forms import evidence_classics, evidence_posts, with_posts
from tests.fuzz.test_other_forms import classics, with_examples

pytestmark = pytest.mark.django_db


def _bearer(user, scopes) -> dict[str, str]:
    _token, secret = token_create(owner=user, name="fuzz", scopes=scopes, by=user,
                                  expires_at=timezone.now() + timedelta(days=1))
    return {"Authorization": f"Bearer {secret}"}


def _problem_when_refused(outcome: Outcome) -> None:
    if not outcome.success:
        assert outcome.response["Content-Type"] == "application/problem+json", outcome.response.content[:300]
        body = outcome.response.json()
        assert body["status"] == outcome.response.status_code and body["detail"]


def test_api_evidence_upload_never_500_and_stores_the_bytes_sent(pm, client, small_uploads):
    initiative = InitiativeFactory(owner=pm)
    gate = gate_of(initiative, "paper-fallback")
    existing = add_link(gate, pm, "drill-record")
    case = FormCase("API evidence upload", reverse("api:evidence", args=[initiative.slug, gate.key]), None,
                    allowed_statuses=frozenset({201, 400}), succeeded=lambda response, errors: response.status_code == 201,
                    headers=_bearer(pm, [Scope.EVIDENCE_WRITE]))

    @fuzz_settings(30)
    @with_posts(evidence_classics(existing.pk, small_uploads))
    @given(post=evidence_posts(existing.pk, small_uploads))
    def run(post):
        body, files, raw_names = post

        def stored_as_sent(outcome: Outcome):
            evidence = Evidence.objects.filter(gate=gate).order_by("-pk").first()
            assert evidence.pk != existing.pk and outcome.response.json()["id"] == evidence.pk
            if evidence.kind == Evidence.Kind.FILE:
                sent = files[-1][3]
                assert evidence.sha256 == hashlib.sha256(sent).hexdigest()

        outcome = fuzz_request(client, case, body, files=files or [], raw_names=raw_names, on_success=stored_as_sent)
        _problem_when_refused(outcome)

    run()


@st.composite
def list_queries(draw):
    base = {"status": draw(st.sampled_from(Status.values)), "clinical_area": draw(st.sampled_from(ClinicalArea.values)),
            "q": "sepsis", "page": "1", "page_size": "10"}
    return draw(mutated(base))


def test_api_initiative_filters_never_500_and_never_write(pm, client):
    InitiativeFactory(owner=pm, title="Sepsis early warning")
    case = FormCase("API GET initiatives", reverse("api:initiatives"), None, method="get", read_only=True,
                    allowed_statuses=frozenset({200, 400, 404}), succeeded=lambda response, errors: response.status_code == 200,
                    headers=_bearer(pm, [Scope.READ]))

    @fuzz_settings(40)
    @with_examples(classics({"q": "sepsis"}, "q") + [{"page": "9" * 40}, {"page_size": "-1"}, {"status": ["a", "b"]}])
    @given(body=list_queries())
    def run(body):
        _problem_when_refused(fuzz_request(client, case, body))

    run()


def test_token_page_never_500_and_stores_what_the_form_cleaned(pm, client):
    base = {"name": "nightly export", "scopes": "read", "expires_on": (timezone.localdate() + timedelta(days=30)).isoformat()}
    case = FormCase("API token page", reverse("api_tokens"), pm, allowed_statuses=frozenset({200}),
                    succeeded=lambda response, errors: b'id="new-token"' in response.content)

    @fuzz_settings(30)
    @with_examples(classics(base, "name") + [{**base, "scopes": ["read", "nope"]}, {**base, "expires_on": "0001-01-01"},
                                             {**base, "scopes": ["read", "read", "metrics:write"]}])
    @given(body=mutated(base))
    def run(body):
        form = TokenForm(as_server_sees(body))
        valid = form.is_valid()

        def stored(outcome: Outcome):
            token = ApiToken.objects.filter(owner=pm).order_by("-pk").first()
            assert token.name == form.cleaned_data["name"].strip()
            assert set(token.scopes) == set(form.cleaned_data["scopes"])
            assert token.expires_at == form.cleaned_data["expires_on"]

        fuzz_request(client, case, body, expect_valid=valid, on_success=stored)

    run()
