"""make_signing_cert, export_dossier and bench_dossier (SPEC §10)."""

import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from django.core.management import CommandError, call_command

from healthpm.dossier.models import Dossier
from healthpm.gates.models import Gate
from tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db


def test_make_signing_cert_creates_a_demo_certificate_and_refuses_to_overwrite(settings, tmp_path):
    settings.HEALTHPM_SIGNING_P12 = path = tmp_path / "signing" / "demo.p12"
    settings.HEALTHPM_SIGNING_PASSPHRASE = "s3cret-passphrase"

    call_command("make_signing_cert")

    key, cert, _ = pkcs12.load_key_and_certificates(path.read_bytes(), b"s3cret-passphrase")
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert cert.subject.rfc4514_string().endswith("CN=healthpm dossier signing (demo)") or \
        "healthpm dossier signing (demo)" in cert.subject.rfc4514_string()
    assert key.key_size == 3072 and usage.digital_signature and usage.content_commitment
    assert 5 * 365 <= (cert.not_valid_after_utc - cert.not_valid_before_utc).days <= 5 * 366 + 1
    assert path.stat().st_mode & 0o077 == 0  # the private key is readable by its owner only
    before = path.read_bytes()
    with pytest.raises(CommandError, match="--force"):
        call_command("make_signing_cert")
    call_command("make_signing_cert", "--if-missing")
    assert path.read_bytes() == before
    call_command("make_signing_cert", "--force")
    assert path.read_bytes() != before


def test_export_dossier_writes_the_file_and_stores_the_version(pm, signing_cert, tmp_path, capsys):
    initiative = InitiativeFactory(owner=pm)
    target = tmp_path / "out" / "dossier.pdf"

    call_command("export_dossier", initiative.slug, "-o", str(target))

    dossier = Dossier.objects.get(initiative=initiative)
    assert target.read_bytes().startswith(b"%PDF-")
    assert dossier.sha256 in capsys.readouterr().out


def test_export_dossier_names_an_unknown_slug(db, tmp_path):
    with pytest.raises(CommandError, match="No initiative"):
        call_command("export_dossier", "nope", "-o", str(tmp_path / "x.pdf"))


def test_bench_dossier_asks_for_the_demo_data_when_missing(db):
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("bench_dossier", "--runs", "1")


def test_bench_dossier_times_synthetic_inventories_and_keeps_none(pm, capsys):
    initiative = InitiativeFactory(owner=pm, checklist_version=1)
    gate = Gate.objects.get(initiative=initiative, key="auditable-inputs")
    saved = gate.data

    call_command("bench_dossier", "--slug", initiative.slug, "--runs", "1", "--inputs", "501")

    (line,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (line["inputs"], line["attached"], line["kind"]) == (501, 1, "draft")
    assert line["dossier_s"] > 0 and line["pages"] > 0
    gate.refresh_from_db()
    assert gate.data == saved  # rolled back
