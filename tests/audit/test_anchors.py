"""Audit anchors (issue 17): signed dossiers and checkpoints record the chain's head, and
`verify_audit --anchors` catches what the chain alone cannot: a consistent rewrite of history
and the newest events cut off."""

import io
import os
from pathlib import Path

import pikepdf
import pytest
import time_machine
from weasyprint import HTML
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from healthpm.audit import anchors, checkpoints
from healthpm.audit.models import AuditEvent
from healthpm.audit.services import ChainHead, GENESIS_HASH, chain_head, record
from healthpm.audit.tasks import write_audit_checkpoint
from healthpm.dossier import signing
from tests.dossier.conftest import PASSPHRASE
from tests.dossier.helpers import export, flip_byte, pdfsig, pdftotext, squeezed
from tests.factories import InitiativeFactory, signed_initiative

from .attacks import rewrite_consistently, truncate

pytestmark = pytest.mark.django_db


def verify(*args: str) -> tuple[int, str, str]:
    """verify_audit's exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue(), err.getvalue()


def info(data: bytes) -> dict[str, str]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return {str(k).lstrip("/"): str(v) for k, v in pdf.docinfo.items()}


@pytest.fixture
def signed_dossier(pm, compliance, signing_cert):
    """A signed dossier of an approved initiative; (dossier, its bytes, the head it must carry)."""
    initiative = signed_initiative(pm, compliance)
    head_before = chain_head()
    dossier, data = export(initiative)
    return dossier, data, head_before


# --- the dossier carries the head -----------------------------------------------------------
def test_a_signed_dossier_prints_the_full_chain_head_and_carries_it_under_its_signature(signed_dossier):
    dossier, data, before = signed_dossier
    # export records dossier_requested, then renders: that event is the head the PDF anchors.
    requested = AuditEvent.objects.get(action="dossier_requested", object_id=str(dossier.pk))
    head = ChainHead(id=requested.pk, hash=requested.hash, count=before.count + 1)

    text = pdftotext(data)
    assert "Audit trail anchor" in text
    assert (f"At signing, the audit trail held {head.count} events; the newest was #{head.id} with SHA-256"
            in " ".join(text.split()))
    assert head.hash in squeezed(text)
    meta = info(data)
    assert (meta["healthpmAuditHeadId"], meta["healthpmAuditHeadHash"], meta["healthpmAuditCount"]) == \
        (str(head.id), head.hash, str(head.count))
    assert (meta["healthpmAnchor"], meta["healthpmInitiative"], meta["healthpmDossierVersion"]) == \
        ("dossier", dossier.initiative.slug, "1")
    # Written before signing: the first revision, which the signature covers, already has it.
    first_revision = data[:data.index(b"%%EOF") + 5]
    assert info(first_revision)["healthpmAuditHeadHash"] == head.hash
    assert "Signature Validation: Signature is Valid." in pdfsig(data) and "Total document signed" in pdfsig(data)


def test_a_draft_carries_the_head_and_says_it_is_not_evidence(pm):
    initiative = InitiativeFactory(owner=pm)

    dossier, data = export(initiative)

    text = " ".join(pdftotext(data).split())
    head = info(data)
    assert dossier.kind == "draft"
    assert f"When this draft was generated, the audit trail held {head['healthpmAuditCount']} events" in text
    assert "for information only" in text
    assert head["healthpmAuditHeadHash"] == AuditEvent.objects.get(action="dossier_requested").hash


def test_chain_head_of_an_empty_trail(db):
    assert chain_head() == ChainHead(id=0, hash=GENESIS_HASH, count=0)


# --- verify_audit --anchors on an honest deployment -----------------------------------------
def test_anchors_hold_on_an_intact_chain_and_the_newest_is_named(signed_dossier):
    checkpoint = checkpoints.checkpoint_write()

    code, out, err = verify("--anchors")

    assert code == 0, err
    count = AuditEvent.objects.count()
    assert f"Audit chain intact: {count} events verified." in out
    assert "Anchors: 2 checked, 0 file(s) without an anchor" in out
    assert f"Newest anchor: {checkpoint.path.name} (checkpoint of {checkpoint.at})" in out
    assert f"changes after event #{checkpoint.head.id} are covered by no anchor" in out
    assert f"dossier v1 of {signed_dossier[0].initiative.slug}" in out


def test_plain_verify_audit_does_not_read_anchors(signed_dossier, settings, tmp_path):
    settings.HEALTHPM_SIGNING_P12 = tmp_path / "gone.p12"  # anchors could not be checked at all

    code, out, _ = verify()

    assert code == 0 and "Anchors" not in out


def test_files_without_an_anchor_are_listed_and_do_not_fail(pm, signing_cert):
    draft, _ = export(InitiativeFactory(owner=pm))
    # A dossier signed before this change: signed by us, no head in its document information.
    old = signing.sign_pdf(HTML(string="<p>v1</p>").write_pdf(), signing.load_signer(), reason="old")
    default_storage.save("dossiers/999/v1-old.pdf", ContentFile(old))

    code, out, err = verify("--anchors")

    assert code == 0, err
    assert f"no anchor {draft.file.name}: an unsigned draft" in out
    assert "no anchor dossiers/999/v1-old.pdf: records no audit head" in out
    assert "Anchors: 0 checked, 2 file(s) without an anchor" in out and "No anchor holds" in out


# --- the attacks of issue 17 ----------------------------------------------------------------
def test_a_consistent_rewrite_before_the_anchor_passes_verify_audit_but_not_anchors(signed_dossier, compliance2):
    dossier, _, _ = signed_dossier
    approval = AuditEvent.objects.filter(action="gate_approved").order_by("id").first()
    assert approval.actor_label == "grace"

    rewrite_consistently(approval.pk, actor_id=compliance2.pk, actor_label=compliance2.username)

    assert AuditEvent.objects.get(pk=approval.pk).actor_id == compliance2.pk
    assert verify()[0] == 0, "the chain checked against itself cannot see a consistent rewrite"
    code, out, err = verify("--anchors")
    assert code == 1
    name = f"{dossier.file.name} (dossier v1 of {dossier.initiative.slug})"
    assert f"BROKEN    {name}: event #" in err and "the chain was rewritten at or before" in err
    assert f"ANCHORS FAILED: 1 — {name} (BROKEN)" in err


@pytest.mark.parametrize("cut", [1, 10])
@pytest.mark.parametrize("kind", ["dossier", "checkpoint"])
def test_cutting_off_the_newest_events_fails_naming_the_anchor(signed_dossier, kind, cut):
    dossier, _, _ = signed_dossier
    if kind == "checkpoint":
        checkpoint = checkpoints.checkpoint_write()
        name = f"{checkpoint.path.name} (checkpoint of {checkpoint.at})"
    else:
        name = f"{dossier.file.name} (dossier v1 of {dossier.initiative.slug})"
    # The anchor is the last thing that happened: its own issuing event ends the chain.
    assert AuditEvent.objects.order_by("-id").first().action == anchors.ISSUED_BY[kind]

    truncate(cut)

    assert verify()[0] == 0, "a shortened chain is still a valid chain"
    code, _, err = verify("--anchors")
    failed = err.splitlines()[-1]
    assert code == 1 and failed.startswith("ANCHORS FAILED:") and f"{name} (BROKEN)" in failed
    if cut == 1:
        assert f"no longer holds the {anchors.ISSUED_BY[kind]} event that recorded issuing this file" in err
    else:
        assert "is no longer on the chain: events were removed" in err


def test_a_chain_with_fewer_events_than_the_anchor_recorded_is_named_as_shrunk(signed_dossier):
    """Defence in depth: removing events before the head already changes the head's hash (caught
    above), so the count is checked here on its own, against a chain one event short."""
    checkpoint = checkpoints.checkpoint_write()
    result = anchors._compare(anchors.AnchorFile("cp.pdf", "checkpoints", "cp.pdf"),
                              anchors.Anchor(kind="checkpoint", head=checkpoint.head, at=checkpoint.at),
                              checkpoint.sha256, chain_count=checkpoint.head.count - 1)
    assert result.status == anchors.BROKEN and f"fewer than the {checkpoint.head.count} it recorded" in result.message


def test_a_rewrite_after_the_newest_anchor_is_not_detected(signed_dossier, compliance2, pm):
    """The documented limit (docs/SECURITY.md): events after the newest anchor's head are covered
    by no anchor, so rewriting them consistently passes. The next checkpoint closes the window."""
    checkpoints.checkpoint_write()
    later = record("initiative_viewed", actor=pm)
    record("initiative_viewed", actor=pm)

    rewrite_consistently(later.pk, actor_id=compliance2.pk, actor_label=compliance2.username)

    code, out, err = verify("--anchors")
    assert code == 0, err
    assert "Anchors: 2 checked" in out


# --- forged and altered anchors -------------------------------------------------------------
def _forged_checkpoint(head: ChainHead, signer=None) -> bytes:
    data = checkpoints._render(head, "2026-01-01T00:00:00Z")
    return signing.sign_pdf(data, signer, reason="forged") if signer is not None else data


@pytest.mark.parametrize("how", ["unsigned", "another key"])
def test_a_forged_checkpoint_is_refused(signed_dossier, other_signer, how):
    # A forger's checkpoint vouching for the rewritten chain's head.
    head = chain_head()
    data = _forged_checkpoint(head, other_signer if how == "another key" else None)
    folder = anchors.checkpoint_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "audit-checkpoint-forged.pdf").write_bytes(data)

    code, _, err = verify("--anchors")

    assert code == 1
    assert "REFUSED   audit-checkpoint-forged.pdf:" in err
    assert ("carries no signature" if how == "unsigned" else "Common Name: Mallory's signing key”, not with this deployment") in err


def test_an_altered_checkpoint_given_on_the_command_line_is_refused(signed_dossier, tmp_path):
    genuine = checkpoints.checkpoint_write().path.read_bytes()
    altered = tmp_path / "altered.pdf"
    altered.write_bytes(flip_byte(genuine, len(genuine) // 3))

    code, out, err = verify("--anchors", str(altered))

    assert code == 1 and f"REFUSED   {altered}:" in err
    assert "Anchors: 1 checked" in err and "given" in err  # only the file given was read


def test_a_given_file_is_checked_alone(signed_dossier):
    dossier, _, _ = signed_dossier
    checkpoints.checkpoint_write()

    code, out, err = verify("--anchors", dossier.file.path)

    assert code == 0, err
    assert "Anchors: 1 checked" in out and f"dossier v1 of {dossier.initiative.slug}" in out


# --- the checkpoint task and command --------------------------------------------------------
def test_the_checkpoint_task_writes_a_signed_file_and_records_it(pm, signing_cert):
    record("initiative_viewed", actor=pm)
    head = chain_head()

    name = write_audit_checkpoint()

    path = anchors.checkpoint_dir() / name
    data = path.read_bytes()
    assert name.startswith("audit-checkpoint-") and name.endswith("Z.pdf")
    assert str(anchors.checkpoint_dir()).startswith(str(django_settings.HEALTHPM_AUDIT_CHECKPOINT_DIR))
    assert not str(path).startswith(str(django_settings.MEDIA_ROOT))
    assert anchors.read_anchor(data) == anchors.Anchor(kind="checkpoint", head=head,
                                                       at=info(data)["healthpmAuditCheckpointAt"])
    text = " ".join(pdftotext(data).split())
    assert f"held {head.count} events; the newest was #{head.id} with SHA-256" in text and head.hash in squeezed(text)
    assert "Signature Validation: Signature is Valid." in pdfsig(data)
    event = AuditEvent.objects.order_by("-id").first()
    assert event.action == "audit_checkpoint_written" and event.actor_label == "celery beat"
    assert event.after["file"] == name and event.after["head_hash"] == head.hash
    assert event.after["count"] == head.count
    assert os.stat(path).st_mode & 0o222 == 0  # read-only
    assert sorted(p.name for p in anchors.checkpoint_dir().iterdir()) == [name]  # no temporary file left


def test_a_checkpoint_never_overwrites_another(pm, signing_cert):
    with time_machine.travel("2026-12-03 00:15:00.000001+00:00", tick=False):
        first = checkpoints.checkpoint_write()
        before = first.path.read_bytes()
        events = AuditEvent.objects.count()
        with pytest.raises(FileExistsError, match="never overwritten"):
            checkpoints.checkpoint_write()
    assert first.path.read_bytes() == before and AuditEvent.objects.count() == events
    second = checkpoints.checkpoint_write()  # a moment later, a new name
    assert second.path != first.path
    assert sorted(p.name for p in anchors.checkpoint_dir().iterdir()) == sorted([first.path.name, second.path.name])


def test_without_a_certificate_the_task_fails_clearly_and_writes_nothing(pm, settings, tmp_path, caplog):
    settings.HEALTHPM_SIGNING_P12 = tmp_path / "missing.p12"
    events = AuditEvent.objects.count()

    with pytest.raises(signing.SigningUnavailable, match="make_signing_cert"):
        write_audit_checkpoint()

    assert "audit checkpoint not written" in caplog.text and "missing.p12 does not exist" in caplog.text
    folder = anchors.checkpoint_dir()
    assert not folder.exists() or not any(folder.iterdir())
    assert AuditEvent.objects.count() == events


def test_the_audit_checkpoint_command(pm, signing_cert, settings, tmp_path):
    out = io.StringIO()
    call_command("audit_checkpoint", stdout=out)
    assert "Audit checkpoint written:" in out.getvalue() and str(anchors.checkpoint_dir()) in out.getvalue()
    assert AuditEvent.objects.order_by("-id").first().actor_label == "manage.py audit_checkpoint"

    settings.HEALTHPM_SIGNING_P12 = tmp_path / "missing.p12"
    with pytest.raises(CommandError, match="No checkpoint written"):
        call_command("audit_checkpoint", stdout=io.StringIO())


def test_the_checkpoint_runs_daily_from_beat():
    entry = django_settings.CELERY_BEAT_SCHEDULE["audit-checkpoint"]
    assert entry["task"] == write_audit_checkpoint.name
    assert entry["schedule"].hour == {0} and entry["schedule"].minute == {15}
    assert Path(django_settings.HEALTHPM_AUDIT_CHECKPOINT_DIR) != Path(django_settings.MEDIA_ROOT)
