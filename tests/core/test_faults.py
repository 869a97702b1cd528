"""Faults a user must come through (SPEC §9, issue 6).

1. Redis down: every save and decision still succeeds; the e-mail and the dossier it
   queues wait in the database for the beat sweepers. Celery is pointed at a port where
   nothing listens, with eager execution off, exactly as when Redis is down in production.
2. The database failing in the middle of a transition: the statement that fails is the
   service's last write (or, for uploads, the write after the file is in storage, or the
   COMMIT itself). Nothing is half-written — rows, audit events, e-mails, stored files —
   and the user gets a 503 page saying nothing was saved (healthpm.core.middleware).
"""

from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, connection
from django.urls import reverse
from django.utils import timezone

from healthpm.approvals.models import Signature
from healthpm.audit.models import AuditEvent
from healthpm.audit.services import verify_chain
from healthpm.dashboard.models import PortfolioFacts, ReviewTime
from healthpm.dossier import tasks as dossier_tasks
from healthpm.dossier.models import Dossier
from healthpm.gates.models import Evidence, GateDecision, GateStatus
from healthpm.initiatives.models import Initiative, Status
from healthpm.notifications.models import Notification
from healthpm.notifications.tasks import send_pending_notifications
from tests.factories import (
    PASSWORD, InitiativeFactory, db_state, evidence_gate, fresh, gate_of, pdf_bytes, ready_initiative,
    signed_initiative, submitted_gate, valid_data,
)
from tests.gates.rules.helpers import post_body

pytestmark = pytest.mark.django_db

MIDDLEWARE = "healthpm.core.middleware.DatabaseErrorMiddleware"
NOTHING_SAVED = "Nothing was saved: the database did not answer. Try again; if it persists tell your administrator."
GATE, ITEM = "auditable-inputs", "data-dictionary"


def stored_files() -> list[str]:
    from django.conf import settings

    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


# --- 1. the broker is down -------------------------------------------------------------------
def _post(client, capture, url: str, data: dict, *, to: str):
    """POST with the commit hooks run (they try the dead broker); the answer is a redirect to `to`."""
    with capture(execute=True):
        response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == to
    return response


def _mail_waits_then_goes_once(broker_down, recipients: set[str]) -> None:
    """The outbox rows are pending, nothing was sent, the broker was really tried; the sweeper sends each once."""
    pending = Notification.objects.filter(sent_at__isnull=True).select_related("recipient")
    assert {n.recipient.email for n in pending} == recipients and mail.outbox == []
    assert "broker unavailable" in broker_down.text
    assert send_pending_notifications() == len(pending)
    assert send_pending_notifications() == 0
    assert sorted(to for m in mail.outbox for to in m.to) == sorted(recipients)


def test_with_the_broker_down_gate_answers_and_evidence_are_saved(pm, login, broker_down,
                                                                  django_capture_on_commit_callbacks):
    initiative = InitiativeFactory(owner=pm)
    client = login(pm)
    paper = gate_of(initiative, "paper-fallback")

    _post(client, django_capture_on_commit_callbacks, paper.get_absolute_url(),
          post_body(paper.key, valid_data(paper.key)), to=paper.get_absolute_url())
    gate = gate_of(initiative, GATE)
    _post(client, django_capture_on_commit_callbacks, reverse("gates:evidence_add", args=[initiative.slug, GATE]),
          {"item": ITEM, "effective_date": timezone.localdate().isoformat(),
           "file": SimpleUploadedFile("lineage.pdf", pdf_bytes())}, to=gate.get_absolute_url())

    assert fresh(paper).data == valid_data(paper.key)
    evidence = Evidence.objects.get(gate=gate, item_key=ITEM)
    assert evidence.file and stored_files() == [evidence.file.name]
    assert AuditEvent.objects.filter(action="gate_data_saved", object_id=str(paper.pk)).exists()
    assert AuditEvent.objects.filter(action="evidence_added", object_id=str(evidence.pk)).exists()


def test_with_the_broker_down_a_submission_is_saved_and_its_mail_waits(pm, compliance, login, broker_down,
                                                                       django_capture_on_commit_callbacks):
    initiative = InitiativeFactory(owner=pm)
    gate = evidence_gate(gate_of(initiative, GATE), pm)

    _post(login(pm), django_capture_on_commit_callbacks, reverse("gates:submit", args=[initiative.slug, GATE]),
          {"note": "Ready."}, to=gate.get_absolute_url())

    assert fresh(gate).status == GateStatus.SUBMITTED
    assert AuditEvent.objects.filter(action="gate_submitted", object_id=str(gate.pk)).exists()
    _mail_waits_then_goes_once(broker_down, {compliance.email})


@pytest.mark.parametrize("decision, reason", [("approved", ""), ("rejected", "The lineage document is a draft.")])
def test_with_the_broker_down_a_decision_is_saved_and_its_mail_waits(decision, reason, pm, compliance, login,
                                                                     broker_down, django_capture_on_commit_callbacks):
    initiative = InitiativeFactory(owner=pm)
    gate = submitted_gate(initiative, pm)
    Notification.objects.all().delete()  # the submission's own mail is not this test's concern

    _post(login(compliance), django_capture_on_commit_callbacks,
          reverse("gates:decide", args=[initiative.slug, GATE]), {"decision": decision, "reason": reason},
          to=gate.get_absolute_url())

    assert fresh(gate).status == decision
    made = GateDecision.objects.get(gate=gate)
    assert (made.decision, made.decided_by, made.reason) == (decision, compliance, reason)
    assert AuditEvent.objects.filter(action=f"gate_{decision}", object_id=str(gate.pk)).exists()
    _mail_waits_then_goes_once(broker_down, {pm.email})


def test_with_the_broker_down_the_final_approval_is_signed_and_its_mail_waits(pm, compliance, leader, login,
                                                                              broker_down,
                                                                              django_capture_on_commit_callbacks):
    initiative = ready_initiative(pm, compliance)
    Notification.objects.all().delete()
    url = reverse("approvals:approval", args=[initiative.slug])

    _post(login(compliance), django_capture_on_commit_callbacks, url,
          {"meaning": "approved", "password": PASSWORD, "statement": ""}, to=url)

    assert Initiative.objects.get(pk=initiative.pk).status == Status.APPROVED
    signature = Signature.objects.get(initiative=initiative)
    assert (signature.signer, signature.meaning, signature.voided_at) == (compliance, "approved", None)
    assert AuditEvent.objects.filter(action="initiative_signed", initiative=initiative).exists()
    _mail_waits_then_goes_once(broker_down, {pm.email, leader.email})


@pytest.mark.django_db(transaction=True)  # the commit hook runs inside the request, as in production
def test_with_the_broker_down_a_dossier_request_is_saved_and_rendered_by_the_sweeper(pm, login, broker_down):
    initiative = InitiativeFactory(owner=pm)  # a draft: rendered unsigned, no certificate needed
    url = reverse("dossier:page", args=[initiative.slug])

    response = login(pm).post(url)

    assert response.status_code == 302 and response["Location"] == url
    dossier = Dossier.objects.get(initiative=initiative)
    assert dossier.state == Dossier.State.PENDING and stored_files() == []
    assert AuditEvent.objects.filter(action="dossier_requested", object_id=str(dossier.pk)).exists()
    assert "could not queue" in broker_down.text
    assert "the task queue cannot be reached right now" in login(pm).get(url).content.decode()

    assert dossier_tasks.render_pending_dossiers(min_age_seconds=0) == 1
    assert dossier_tasks.render_pending_dossiers(min_age_seconds=0) == 0
    dossier.refresh_from_db()
    assert dossier.state == Dossier.State.DONE, dossier.error
    assert stored_files() == [dossier.file.name]


# --- 2. the database fails mid-transition ----------------------------------------------------
@pytest.fixture
def faults_answered(settings):
    """The fault tests below rely on the middleware being installed (healthpm/settings.py)."""
    assert MIDDLEWARE in settings.MIDDLEWARE


@contextmanager
def database_fails(at: str, *, then_everything: bool = False):
    """Every statement runs until the first one containing `at` (SQL, lower case, no quotes),
    which fails as a dropped connection does; with then_everything, so does every one after it.
    Yields the list of statements that failed, so a test can prove the fault was hit."""
    failed: list[str] = []

    def execute(run, sql, params, many, context):
        if (failed and then_everything) or at in sql.lower().replace('"', "").replace("`", ""):
            failed.append(sql)
            raise OperationalError("server closed the connection unexpectedly")
        return run(sql, params, many, context)

    with connection.execute_wrapper(execute):
        yield failed


def everything(initiative) -> dict:
    """All that a transition could half-write: rows, audit, mail, dashboard facts, stored files."""
    return {
        **db_state(initiative),
        "initiative": Initiative.objects.filter(pk=initiative.pk).values().get(),
        "review_times": ReviewTime.objects.count(),
        "facts": list(PortfolioFacts.objects.filter(initiative=initiative).values()),
        "files": stored_files(),
        "chain": verify_chain(),
    }


def _submit(pm, compliance):
    initiative = InitiativeFactory(owner=pm)
    evidence_gate(gate_of(initiative, GATE), pm)
    return initiative, pm, reverse("gates:submit", args=[initiative.slug, GATE]), {"note": "Ready."}


def _decide(decision: str):
    def setup(pm, compliance):
        initiative = InitiativeFactory(owner=pm)
        submitted_gate(initiative, pm)
        reason = "The lineage document is a draft." if decision == "rejected" else ""
        return (initiative, compliance, reverse("gates:decide", args=[initiative.slug, GATE]),
                {"decision": decision, "reason": reason})
    return setup


def _sign(pm, compliance):
    initiative = ready_initiative(pm, compliance)
    return (initiative, compliance, reverse("approvals:approval", args=[initiative.slug]),
            {"meaning": "approved", "password": PASSWORD, "statement": ""})


def _reopen(pm, compliance):
    initiative = signed_initiative(pm, compliance)
    return (initiative, compliance, reverse("approvals:reopen", args=[initiative.slug]),
            {"reason": "Incident on the pilot ward."})


def _upload(pm, compliance):
    initiative = InitiativeFactory(owner=pm)
    return (initiative, pm, reverse("gates:evidence_add", args=[initiative.slug, GATE]),
            {"item": ITEM, "effective_date": timezone.localdate().isoformat(),
             "file": SimpleUploadedFile("lineage.pdf", pdf_bytes())})


def _save_data(pm, compliance):
    initiative = InitiativeFactory(owner=pm)
    gate = gate_of(initiative, "paper-fallback")
    return initiative, pm, gate.get_absolute_url(), post_body(gate.key, valid_data(gate.key))


NOTIFY = "insert into notifications_notification"
SCENARIOS = [
    pytest.param(_submit, NOTIFY, id="gate_submit-at-its-e-mail"),
    pytest.param(_decide("approved"), NOTIFY, id="gate_decide-approve-at-its-e-mail"),
    pytest.param(_decide("rejected"), NOTIFY, id="gate_decide-reject-at-its-e-mail"),
    pytest.param(_sign, NOTIFY, id="initiative_sign-at-its-e-mail"),
    pytest.param(_reopen, NOTIFY, id="initiative_reopen-at-its-e-mail"),
    # The file is in storage, the evidence row and its audit event are written; the gate's update fails.
    pytest.param(_upload, "update gates_gate", id="evidence_add-after-the-file-is-stored"),
    pytest.param(_upload, "insert into audit_auditevent", id="evidence_add-at-its-audit-event"),
    pytest.param(_save_data, "dashboard_portfoliofacts", id="gate_save_data-at-the-dashboard-facts"),
]


@pytest.mark.parametrize("setup, at", SCENARIOS)
def test_a_database_error_mid_transition_writes_nothing_and_says_so(setup, at, pm, compliance, leader, client,
                                                                    faults_answered, caplog,
                                                                    django_capture_on_commit_callbacks):
    initiative, actor, url, data = setup(pm, compliance)
    client.force_login(actor)
    before = everything(initiative)

    with django_capture_on_commit_callbacks(execute=True) as hooks, database_fails(at) as failed:
        response = client.post(url, data, HTTP_REFERER=f"http://testserver{url}")

    assert failed, f"the fault at {at!r} was never reached"
    assert response.status_code == 503
    page = response.content.decode()
    assert NOTHING_SAVED in page and f'href="http://testserver{url}"' in page
    assert "Sign out" in page  # the full page, menu included: the database answers again
    assert everything(initiative) == before
    assert hooks == [] and mail.outbox == []
    assert any(r.name == "healthpm.core.middleware" and r.exc_info for r in caplog.records)

    # Nothing is stuck: the same form sent again goes through.
    if "file" in data:
        data["file"].seek(0)
    assert client.post(url, data).status_code == 302
    assert everything(initiative) != before


@pytest.mark.django_db(transaction=True)  # a failed ROLLBACK TO SAVEPOINT would break the test's own transaction
def test_when_the_database_is_gone_entirely_the_page_still_says_nothing_was_saved(pm, compliance, client,
                                                                                  faults_answered):
    initiative, actor, url, data = _sign(pm, compliance)
    client.force_login(actor)
    before = everything(initiative)

    with database_fails(NOTIFY, then_everything=True) as failed:
        response = client.post(url, data)

    assert len(failed) > 1  # the page's menu could not be read either
    assert response.status_code == 503 and NOTHING_SAVED in response.content.decode()
    assert 'href="/"' in response.content.decode()  # no Referer: back to the start page
    assert everything(initiative) == before


def test_a_refused_change_is_not_called_an_unreachable_database(pm, compliance, client, faults_answered,
                                                                monkeypatch):
    """An IntegrityError (here: the audit table refusing a write) is a refusal, still 503, still nothing saved."""
    from django.db import IntegrityError

    initiative, actor, url, data = _submit(pm, compliance)
    client.force_login(actor)
    before = everything(initiative)

    def refuse(*args, **kwargs):
        raise IntegrityError("audit events are append-only: UPDATE on audit_auditevent refused")

    monkeypatch.setattr("healthpm.notifications.receivers.notify", refuse)
    response = client.post(url, data)

    assert response.status_code == 503
    assert "Nothing was saved: the database refused the change." in response.content.decode()
    assert everything(initiative) == before


def test_a_read_that_fails_is_left_to_the_server_error_page(pm, client, faults_answered):
    initiative = InitiativeFactory(owner=pm)
    client.force_login(pm)

    with database_fails("from gates_gate"), pytest.raises(OperationalError):
        client.get(gate_of(initiative, GATE).get_absolute_url())


@pytest.mark.django_db(transaction=True)  # a real COMMIT, outside the test's transaction
def test_an_upload_whose_commit_fails_leaves_no_file_behind(pm, client, faults_answered, monkeypatch):
    initiative, actor, url, data = _upload(pm, None)
    client.force_login(actor)
    before = everything(initiative)
    real_commit, failed = connection._commit, []

    def commit_fails_once():
        if not failed:
            failed.append(True)
            raise OperationalError("server closed the connection unexpectedly")
        return real_commit()

    monkeypatch.setattr(connection, "_commit", commit_fails_once)
    response = client.post(url, data)
    monkeypatch.undo()

    assert failed and response.status_code == 503 and NOTHING_SAVED in response.content.decode()
    assert everything(initiative) == before  # no evidence row, no audit event, and no orphan file
    assert not Evidence.objects.exists() and stored_files() == []
