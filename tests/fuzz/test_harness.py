"""The fuzz harness itself catches what it promises to: a crash, a write behind a refusal, a
control character stored, a success the form refused. (A check that cannot fail is a defect.)"""

import pytest
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import path

from healthpm.audit.models import AuditEvent
from healthpm.audit.services import record
from tests.fuzz.harness import FormCase, fuzz_request

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def crash(request):
    raise ValueError("boom")


def refuse_after_writing(request):
    record("half_done")
    return HttpResponse("Refused", status=400)


def refuse_leaving_a_trail(request):
    record("login_failed", after={"username": request.POST.get("username", "")})
    return HttpResponse("Refused", status=200)


def store(request):
    record("saved", after={"text": request.POST.get("text", "")})
    return HttpResponseRedirect("/done/")


urlpatterns = [
    path("crash/", crash), path("half/", refuse_after_writing), path("trail/", refuse_leaving_a_trail),
    path("store/", store),
]


def case(url: str, **kw) -> FormCase:
    return FormCase(f"harness {url}", url, None, **kw)


def test_a_crash_fails_the_example(client):
    with pytest.raises(ValueError, match="boom"):
        fuzz_request(client, case("/crash/"), {"a": "b"})


def test_a_write_behind_a_refusal_fails_the_example_and_is_rolled_back(client):
    with pytest.raises(AssertionError, match=r"refused \(status 400.*wrote to \['audit'\]"):
        fuzz_request(client, case("/half/"), {})

    assert not AuditEvent.objects.filter(action="half_done").exists()


def test_a_refusal_may_leave_only_the_audit_events_it_is_allowed(client):
    fuzz_request(client, case("/trail/", refusal_audit=frozenset({"login_failed"})), {"username": "priya"})

    with pytest.raises(AssertionError, match="wrote to"):
        fuzz_request(client, case("/trail/"), {"username": "priya"})


@pytest.mark.parametrize("text", ["a\x01b", "tab\tkept\x7f", "nul\x00"])
def test_a_stored_control_character_fails_the_example(text, client, settings):
    from django.db import connection

    if "\x00" in text and connection.vendor == "postgresql":
        pytest.skip("PostgreSQL refuses the NUL itself, which the crash check catches")
    with pytest.raises(AssertionError, match="stored a control character"):
        fuzz_request(client, case("/store/"), {"text": text})


def test_a_stored_line_break_and_a_clean_save_pass(client):
    outcome = fuzz_request(client, case("/store/"), {"text": "two\r\nlines\tand a tab"})

    assert outcome.success and outcome.changed == ["audit"]


def test_a_success_for_a_body_the_form_refuses_fails_the_example(client):
    with pytest.raises(AssertionError, match="the form refuses this body, yet the view reported success"):
        fuzz_request(client, case("/store/"), {"text": "x"}, expect_valid=False)


def test_a_status_outside_the_allowed_set_fails_the_example(client):
    with pytest.raises(AssertionError, match="status 400 not in"):
        fuzz_request(client, case("/half/", allowed_statuses=frozenset({200, 302})), {})
