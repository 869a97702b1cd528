"""Fuzz the collaboration forms (issue 13): a gate's team form and its comment form (new and edit)."""

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from healthpm.collaboration.forms import AssignForm, CommentForm
from healthpm.collaboration.models import Comment
from healthpm.collaboration.services import comment_post
from healthpm.gates.models import Gate
from tests.factories import InitiativeFactory, gate_of
from tests.fuzz import fuzz_settings
from tests.fuzz.harness import FormCase, Outcome, as_server_sees, assert_pages_open, fuzz_request
from tests.fuzz.strategies import NUL, mutated
from tests.fuzz.test_other_forms import HUGE, SURROGATE, classics, with_examples

pytestmark = pytest.mark.django_db


def test_team_form_never_500_and_stores_whom_it_cleaned(pm, pm2, compliance, leader, client):
    initiative = InitiativeFactory(owner=pm, collaborators=[pm2])
    gate = gate_of(initiative)
    case = FormCase("team", reverse("collaboration:assign", args=[initiative.slug, gate.key]), pm)
    base = {"assignee": "marco", "reviewer": "grace"}

    @fuzz_settings(15)
    @with_examples([base, {"assignee": "", "reviewer": ""}, {"assignee": "lena", "reviewer": "marco"},
                    {"assignee": ["marco", "priya"], "reviewer": "grace"}, *classics(base, "assignee"),
                    {"assignee": "9" * 30, "reviewer": f"grace{NUL}"}])
    @given(body=mutated(base))
    def run(body):
        form = AssignForm(as_server_sees(body))
        valid = form.is_valid()

        def stored_as_cleaned(outcome: Outcome):
            stored = Gate.objects.get(pk=gate.pk)
            assert stored.assignee == form.cleaned_data["assignee"]
            assert stored.requested_reviewer == form.cleaned_data["reviewer"]
            assert_pages_open([(pm, gate.get_absolute_url()), (leader, initiative.get_absolute_url())])

        fuzz_request(client, case, body, expect_valid=valid, on_success=stored_as_cleaned)

    run()


@pytest.mark.parametrize("editing", [False, True], ids=["new", "edit"])
def test_comment_never_500_and_stores_the_text_cleaned(editing, pm, compliance, leader, client):
    initiative = InitiativeFactory(owner=pm)
    gate = gate_of(initiative)
    earlier = comment_post(gate=gate, by=compliance, body="Is the lineage document signed?") if editing else None
    case = FormCase("comment-edit" if editing else "comment",
                    reverse("collaboration:comment", args=[initiative.slug, gate.key]), compliance)
    base = {"body": "@priya the drill record is unsigned; can you attach the signed minutes?"}
    if editing:
        base["supersedes"] = str(earlier.pk)

    @fuzz_settings(20)
    @with_examples([base, *classics(base, "body"), {**base, "body": "@marco please look"},
                    {**base, "body": "<script>alert(1)</script> @" + "p" * 200}, {**base, "body": " \r\n "},
                    {**base, "body": "@priya " * 11}, {**base, "supersedes": "-1"}, {**base, "supersedes": "9" * 30},
                    {**base, "body": f"a{SURROGATE}b"}, {**base, "body": HUGE[:4001]}])
    @given(body=mutated(base))
    def run(body):
        form = CommentForm(as_server_sees(body))
        valid = form.is_valid()

        def stored_as_cleaned(outcome: Outcome):
            latest = Comment.objects.order_by("-pk").first()
            assert latest.body == form.cleaned_data["body"].strip() and latest.author == compliance
            assert latest.superseded_at is None
            if form.cleaned_data["supersedes"]:
                assert latest.supersedes_id == form.cleaned_data["supersedes"]
            assert_pages_open([(pm, gate.get_absolute_url()), (leader, gate.get_absolute_url())])

        fuzz_request(client, case, body, expect_valid=valid, on_success=stored_as_cleaned)

    run()
