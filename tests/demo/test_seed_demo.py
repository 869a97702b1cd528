"""`manage.py seed_demo`: users for every role, initiatives in every state, idempotent."""

import io
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from healthpm.accounts import roles
from healthpm.approvals.models import Signature
from healthpm.approvals.services import final_decision_blockers
from healthpm.audit.models import AuditEvent
from healthpm.audit.services import verify_chain
from django_otp.plugins.otp_totp.models import TOTPDevice

from healthpm.demo import data as demo_data
from healthpm.demo import totp as demo_totp
from healthpm.dossier.models import Dossier
from healthpm.gates.models import Evidence, Gate, GateDecision
from tests.factories import context
from healthpm.initiatives.models import Initiative
from healthpm.reviews.queue import review_queue
from healthpm.notifications.models import Notification
from tests.dossier.conftest import _certificates, signing_cert  # noqa: F401

EXPECTED_STATUS = {
    "sepsis-early-warning": "approved",
    "prior-auth-triage": "in_review",
    "no-show-prediction": "changes_requested",
    "alert-ranking": "draft",
    "visit-note-summarization": "in_review",
    "derm-referral-triage": "in_review",
    "hf-readmission-risk": "ready",
    "sepsis-riverside-rollout": "approved",
    "sepsis-northgate-rollout": "approved",
    "sepsis-geriatric-wards": "in_review",
    "deterioration-pay-per-alert": "in_review",
}
EXPECTED_ROLE = {"pm": roles.PRODUCT_MANAGER, "pm2": roles.PRODUCT_MANAGER, "compliance": roles.COMPLIANCE,
                 "compliance2": roles.COMPLIANCE, "leader": roles.LEADERSHIP}


@pytest.fixture(autouse=True)
def _seed_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # No certificate unless a test asks for one (signing_cert): never the developer's var/signing.
    settings.HEALTHPM_SIGNING_P12 = tmp_path / "no-signing-certificate.p12"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from healthpm.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def counts() -> dict:
    models = (get_user_model(), Initiative, Gate, Evidence, GateDecision, Signature, AuditEvent, Notification)
    return {m.__name__: m.objects.count() for m in models}


def test_seed_demo_builds_every_state_once_and_prints_the_logins(db, settings, monkeypatch, signing_cert):
    monkeypatch.delenv("HEALTHPM_DEMO_PASSWORD", raising=False)
    first = seed()
    after_first = counts()
    second = seed()

    assert counts() == after_first, "a second run must create nothing"
    assert after_first["Initiative"] == len(EXPECTED_STATUS)
    for output in (first, second):
        assert demo_data.PASSWORD in output
        assert settings.SITE_URL in output
        for username, *_ in demo_data.USERS:
            assert f"  {username} " in output

    statuses = dict(Initiative.objects.values_list("slug", "status"))
    assert statuses == EXPECTED_STATUS

    User = get_user_model()
    for username, role in EXPECTED_ROLE.items():
        user = User.objects.get(username=username)
        assert list(user.groups.values_list("name", flat=True)) == [role]
        assert user.check_password(demo_data.PASSWORD)
        assert user.email == f"{username}@demo-hospital.org" and user.get_full_name()
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    # Two-factor sign-in: the officers and the administrator hold the one public demo secret.
    for output in (first, second):
        assert demo_totp.DEMO_TOTP_SECRET in output and "manage.py demo_totp" in output
    for username in ("compliance", "compliance2", "admin"):
        device = TOTPDevice.objects.get(user__username=username, confirmed=True)
        assert demo_totp.holds_demo_secret(device)
    assert not TOTPDevice.objects.filter(user__username__in=["pm", "pm2", "leader"]).exists()

    sepsis = Initiative.objects.get(slug="sepsis-early-warning")
    signature = Signature.objects.get(initiative=sepsis, voided_at__isnull=True)
    assert signature.signer.username == "compliance" and signature.meaning == "approved" and signature.statement
    assert set(sepsis.gates.values_list("status", flat=True)) == {"approved"}
    assert sepsis.collaborators.filter(username="pm2").exists()

    rejected = GateDecision.objects.get(gate__initiative__slug="no-show-prediction", decision="rejected")
    assert rejected.gate.key == "paper-fallback" and "tabletop" in rejected.reason
    # Structured data (issue 3): sepsis passes every rule, no-show fails the false-positive cost gate.
    for gate in sepsis.gates.all():
        assert gate.blockers(context()) == [], gate.key
    assert final_decision_blockers(sepsis, Gate.objects.of_initiative(sepsis), meaning="approved") == []
    no_show_cost = Gate.objects.get(initiative__slug="no-show-prediction", key="false-positive-cost")
    assert any("over the $5,000.00 threshold" in b for b in no_show_cost.blockers(context()))
    assert Gate.objects.filter(initiative__slug="alert-ranking").exclude(data={}).exists()
    assert Gate.objects.filter(initiative__slug="alert-ranking", data={}).exists(), "part-filled"
    # The prior-auth story: a rejected survey replaced by a measured study, kept in history.
    assert Evidence.objects.filter(gate__initiative__slug="prior-auth-triage", superseded_at__isnull=False).count() == 1

    files = Evidence.objects.filter(kind="file")
    assert files.exists() and Evidence.objects.filter(kind="link").exists()
    for evidence in files:
        head = evidence.file.read(5)
        evidence.file.close()
        assert head == b"%PDF-" if evidence.original_name.endswith(".pdf") else head.startswith(b"input")
        assert str(settings.MEDIA_ROOT) in evidence.file.path

    assert Evidence.objects.filter(expiry_date__lt=sepsis.created_at.date()).exists(), "an expired BAA for the dashboard"
    # The review queue has waiting times to show, one of them past the 5-working-day SLA.
    officer = User.objects.get(username="compliance")
    queue = review_queue(officer)
    waited = sorted(row.working_days for row in queue.decidable + queue.barred)
    assert waited[0] == 0 and waited[-1] > 5 and queue.overdue
    checked, broken = verify_chain()
    assert broken is None and checked == after_first["AuditEvent"]
    call_command("verify_audit", stdout=io.StringIO())  # exits 0
    # The approved v2 story has its signed dossier (once), anchored like every dossier.
    [dossier] = Dossier.objects.all()
    assert (dossier.initiative.slug, dossier.kind, dossier.state) == ("sepsis-riverside-rollout", "final", "done")
    assert "Signed dossier v1 of sepsis-riverside-rollout" in first and "Signed dossier" not in second
    # It ends on a signed audit checkpoint (once: the second run had nothing new to anchor).
    [checkpoint] = list((settings.HEALTHPM_AUDIT_CHECKPOINT_DIR).glob("audit-checkpoint-*.pdf"))
    assert f"Audit checkpoint written: {checkpoint}" in first and "already covers the whole trail" in second
    assert AuditEvent.objects.order_by("-id").first().action == "audit_checkpoint_written"
    report = io.StringIO()
    call_command("verify_audit", "--anchors", stdout=report)  # exits 0
    assert "Anchors: 2 checked" in report.getvalue() and f"Newest anchor: {checkpoint.name}" in report.getvalue()


def test_the_v1_stories_stay_on_v1_and_the_v2_ones_show_their_blockers(db, monkeypatch):
    monkeypatch.delenv("HEALTHPM_DEMO_PASSWORD", raising=False)
    output = seed()
    # Without a signing certificate (_seed_settings) the data is seeded and the output says how to anchor it.
    assert "No audit checkpoint written:" in output and "manage.py audit_checkpoint" in output
    assert "No signed dossier of sepsis-riverside-rollout:" in output and not Dossier.objects.exists()
    versions = dict(Initiative.objects.values_list("slug", "checklist_version"))
    assert {slug for slug, v in versions.items() if v == 2} == {
        "sepsis-riverside-rollout", "sepsis-northgate-rollout", "sepsis-geriatric-wards",
        "deterioration-pay-per-alert"}
    ctx = context()
    riverside = Initiative.objects.get(slug="sepsis-riverside-rollout")
    assert riverside.gates.count() == 11 and set(riverside.gates.values_list("status", flat=True)) == {"approved"}
    assert Signature.objects.filter(initiative=riverside, voided_at__isnull=True, meaning="approved").exists()
    gap = Gate.objects.get(initiative__slug="sepsis-geriatric-wards", key="clinical-validation")
    assert any("Subgroup “Age band 75+”" in b for b in gap.blockers(ctx))
    engine = Gate.objects.get(initiative__slug="deterioration-pay-per-alert", key="adoption-incentives")
    assert any("harm engine" in b for b in engine.blockers(ctx))
    owners = {m["owner"] for m in Gate.objects.get(initiative=riverside, key="monitoring-plan").data["metrics"]}
    assert owners == {"pm"}


def test_the_launched_v2_stories_show_every_monitoring_state(db, monkeypatch):
    from django.utils import timezone

    from healthpm.monitoring.models import Breach, MetricSample
    from healthpm.monitoring.status import post_launch_summary

    monkeypatch.delenv("HEALTHPM_DEMO_PASSWORD", raising=False)
    seed()
    riverside = Initiative.objects.get(slug="sepsis-riverside-rollout")
    northgate = Initiative.objects.get(slug="sepsis-northgate-rollout")
    volumes = MetricSample.objects.filter(initiative=riverside, metric="alert_volume")
    assert volumes.count() == 21 and max(volumes.values_list("value", flat=True)) < 30
    assert not riverside.is_paused and not Breach.objects.filter(initiative=riverside).exists()
    # Day 6 of Northgate's week (34 alerts) crossed the pause threshold and the false-positive cost.
    assert northgate.is_paused and northgate.status == "approved"
    breaches = Breach.objects.filter(initiative=northgate)
    assert set(breaches.values_list("kind", "gate__key")) == {("pause_threshold", "monitoring-plan"),
                                                              ("fp_cost", "false-positive-cost")}
    assert {b.observed for b in breaches} == {34, Decimal("5184.66")}
    summary = post_launch_summary(Initiative.objects.all(), today=timezone.localdate())
    assert (summary.healthy, summary.breach) == (1, 1) and summary.paused == [northgate]


def test_it_refuses_to_sign_with_a_password_the_existing_officer_does_not_have(db, monkeypatch):
    get_user_model().objects.create_user("compliance", "c@demo-hospital.org", "another-password-1")
    monkeypatch.delenv("HEALTHPM_DEMO_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="HEALTHPM_DEMO_PASSWORD"):
        seed()
    assert not Initiative.objects.exists()
