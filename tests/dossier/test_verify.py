"""Is this PDF an unmodified dossier issued by this deployment? (SPEC §6, the command and the page)"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from healthpm.audit.models import AuditEvent
from healthpm.dossier import signing
from healthpm.dossier.services import build_pdf
from tests.factories import InitiativeFactory, pdf_bytes, signed_initiative

from .helpers import export, flip_byte, one_line

pytestmark = pytest.mark.django_db


def verify_command(tmp_path, data: bytes, capsys) -> tuple[int, str]:
    path = tmp_path / "upload.pdf"
    path.write_bytes(data)
    try:
        call_command("verify_dossier", str(path))
        code = 0
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, one_line(out.out + out.err)


def verify_page(client, data: bytes, name: str = "dossier.pdf"):
    return client.post(reverse("dossier:verify"), {"file": SimpleUploadedFile(name, data)})


@pytest.fixture
def final(pm, compliance, signing_cert):
    initiative = signed_initiative(pm, compliance)
    return export(initiative)


def test_an_unmodified_final_dossier_verifies_and_is_named(final, tmp_path, capsys, login, leader):
    dossier, data = final

    code, out = verify_command(tmp_path, data, capsys)

    assert code == 0
    assert "Genuine" in out and dossier.initiative.slug in out and f"dossier v{dossier.version}" in out
    page = verify_page(login(leader), data)
    assert page.status_code == 200
    assert "Genuine dossier" in page.content.decode() and dossier.initiative.title in page.content.decode()
    assert AuditEvent.objects.filter(action="dossier_verified", initiative=dossier.initiative).count() == 2


def test_one_changed_byte_is_reported_as_altered(final, tmp_path, capsys, login, pm2):
    dossier, data = final
    changed = flip_byte(data, len(data) // 3)

    code, out = verify_command(tmp_path, changed, capsys)

    assert code == 1
    assert "altered" in out and "Genuine" not in out
    page = verify_page(login(pm2), changed)
    assert page.status_code == 200
    assert "altered" in page.content.decode() and "Genuine dossier" not in page.content.decode()


def test_appending_to_a_signed_dossier_is_reported_as_altered(final, tmp_path, capsys):
    dossier, data = final

    code, out = verify_command(tmp_path, data + b"\n% appended after signing\n", capsys)

    assert code == 1 and "altered" in out


def test_a_pdf_signed_with_another_certificate_was_not_issued_here(pm, signing_cert, other_signer, tmp_path, capsys,
                                                                   login, leader):
    unsigned = build_pdf(InitiativeFactory(owner=pm), version=1).data
    forged = signing.sign_pdf(unsigned, other_signer, reason="looks official")

    code, out = verify_command(tmp_path, forged, capsys)

    assert code == 1
    assert "not a dossier issued by this deployment" in out
    assert "Mallory" in out
    page = verify_page(login(leader), forged)
    assert page.status_code == 200 and "Not issued by this deployment" in page.content.decode()


def test_a_draft_of_ours_is_recognised_but_is_not_a_signed_dossier(pm, signing_cert, tmp_path, capsys):
    dossier, data = export(InitiativeFactory(owner=pm))

    code, out = verify_command(tmp_path, data, capsys)

    assert code == 1
    assert "unsigned DRAFT issued by this deployment" in out and f"dossier v{dossier.version}" in out


def some_other_pdf() -> bytes:
    from weasyprint import HTML

    return HTML(string="<h1>Quarterly report</h1><p>Nothing to do with healthpm.</p>").write_pdf()


@pytest.mark.parametrize("data, expected", [
    (some_other_pdf(), "has no digital signature and matches no dossier issued here"),
    (pdf_bytes(), "no digital signature"),
    (b"%PDF-1.7\n this is not really a PDF \x00\x01\x02", "damaged"),
    (b"PK\x03\x04 a zip file, not a pdf", "not a PDF"),
    (b"hello", "not a PDF"),
])
def test_other_files_get_a_clear_answer_never_an_error_page(data, expected, signing_cert, tmp_path, capsys, login,
                                                            outsider):
    code, out = verify_command(tmp_path, data, capsys)

    assert code == 1 and expected in out
    page = verify_page(login(outsider), data, name="something.bin")
    assert page.status_code == 200 and expected in page.content.decode()


def test_an_empty_upload_is_refused_with_a_message(login, leader):
    page = verify_page(login(leader), b"")

    assert page.status_code == 400
    assert "empty" in page.content.decode()
