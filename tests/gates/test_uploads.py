"""Evidence files (SPEC §3): the type comes from the content, refusals say why, and a refused
upload leaves nothing behind — no Evidence row, no file, no audit event."""

import hashlib
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from healthpm.audit.models import AuditEvent
from healthpm.core.errors import WorkflowError
from healthpm.gates.models import Evidence
from healthpm.gates.services import Upload, evidence_add
from tests import crafted_files as crafted
from tests.factories import InitiativeFactory, gate_of, office_bytes, pdf_bytes, png_bytes

pytestmark = pytest.mark.django_db

ITEM = "data-dictionary"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200
MZ = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="4"/></svg>'
STORED_NAME = re.compile(r"^evidence/\d+/[0-9a-f]{32}\.[a-z]+$")

REFUSED = [
    pytest.param("lineage.pdf", ELF, "is a Linux executable", id="elf-renamed-pdf"),
    pytest.param("lineage.pdf", MZ, "is a Windows executable", id="mz-renamed-pdf"),
    pytest.param("lineage.pdf", b"", "is empty", id="empty"),
    pytest.param("../../etc/passwd.pdf", pdf_bytes(), "is not a plain file name", id="path-traversal"),
    pytest.param("lineage.txt", HTML, "is an HTML, SVG or XML document", id="html-renamed-txt"),
    pytest.param("lineage.pdf", HTML, "is an HTML, SVG or XML document", id="html-renamed-pdf"),
    pytest.param("diagram.svg", SVG, "is not an accepted file type", id="svg"),
    pytest.param("diagram.pdf", SVG, "is an HTML, SVG or XML document", id="svg-renamed-pdf"),
    pytest.param("diagram.pdf", png_bytes(), "named .pdf but its content is PNG", id="png-renamed-pdf"),
    # issue 17: checked by structure, not by the first bytes
    pytest.param("lineage.pdf", crafted.polyglot_pdf_exe(), "hides a Windows executable", id="polyglot-pdf-exe"),
    pytest.param("lineage.pdf", crafted.polyglot_pdf_html(), "is damaged or not a real PDF", id="polyglot-pdf-html"),
    pytest.param("lineage.pdf", crafted.pdf_open_action_js(), "contains JavaScript", id="pdf-javascript"),
    pytest.param("lineage.pdf", crafted.pdf_launch(), "contains a launch action", id="pdf-launch"),
    pytest.param("dictionary.docx", crafted.docx_with_vba_project(), "contains macros", id="docx-macros"),
    pytest.param("lineage.txt", crafted.text_with_late_script(), "text with web markup inside", id="late-markup"),
    pytest.param("flow.png", crafted.truncated_png(), "is a damaged PNG image", id="truncated-png"),
]

ACCEPTED = [
    pytest.param("lineage.pdf", pdf_bytes(), "application/pdf", id="pdf"),
    pytest.param("flow.png", png_bytes(), "image/png", id="png"),
    pytest.param("dictionary.docx", office_bytes("word"),
                 "application/vnd.openxmlformats-officedocument.wordprocessingml.document", id="docx"),
    pytest.param("inputs.xlsx", office_bytes("xl"),
                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", id="xlsx"),
    pytest.param("inputs.csv", b"name,source\nlactate_last_6h,LIS\n", "text/csv", id="csv"),
    pytest.param("notes.txt", b"Lineage reviewed with the data team.\n", "text/plain", id="txt"),
]


@pytest.fixture
def gate(pm):
    return gate_of(InitiativeFactory(owner=pm))


def files_under(root: Path) -> list[Path]:
    return [p for p in Path(root).rglob("*") if p.is_file()] if Path(root).exists() else []


def _add(gate, by, name: str, data: bytes) -> Evidence:
    return evidence_add(gate=gate, by=by, item_key=ITEM, effective_date=timezone.localdate(),
                        upload=Upload(name=name, data=data))


@pytest.mark.parametrize("name, data, message", REFUSED)
def test_it_refuses_a_bad_upload_and_stores_nothing(gate, pm, settings, name, data, message):
    events = AuditEvent.objects.count()

    with pytest.raises(WorkflowError, match=re.escape(message)):
        _add(gate, pm, name, data)

    assert not Evidence.objects.exists()
    assert files_under(settings.MEDIA_ROOT) == []
    assert AuditEvent.objects.count() == events


def test_it_refuses_a_file_over_the_limit(gate, pm, settings):
    settings.HEALTHPM_MAX_UPLOAD_BYTES = 1024

    with pytest.raises(WorkflowError, match="the limit is"):
        _add(gate, pm, "lineage.pdf", pdf_bytes() + b"%" * 2048)

    assert not Evidence.objects.exists() and files_under(settings.MEDIA_ROOT) == []
    _add(gate, pm, "lineage.pdf", pdf_bytes())  # under the limit it is fine
    assert Evidence.objects.count() == 1


@pytest.mark.parametrize("name, data, content_type", ACCEPTED)
def test_it_accepts_real_documents_under_a_generated_name(gate, pm, settings, name, data, content_type):
    evidence = _add(gate, pm, name, data)

    assert evidence.content_type == content_type
    assert evidence.original_name == name
    assert evidence.size == len(data) and evidence.sha256 == hashlib.sha256(data).hexdigest()
    assert STORED_NAME.match(evidence.file.name), evidence.file.name
    stored = Path(settings.MEDIA_ROOT) / evidence.file.name
    assert stored.read_bytes() == data
    assert files_under(settings.MEDIA_ROOT) == [stored]


# --- through the page ----------------------------------------------------------------------
def _post(client, gate, upload, *, follow=True) -> object:
    return client.post(f"/initiatives/{gate.initiative.slug}/gates/{gate.key}/evidence/",
                       {"item": ITEM, "effective_date": timezone.localdate().isoformat(), "file": upload}, follow=follow)


@pytest.mark.parametrize("name, data, message", [
    pytest.param("lineage.pdf", ELF, "is a Linux executable", id="elf"),
    pytest.param("lineage.pdf", MZ, "is a Windows executable", id="mz"),
    pytest.param("lineage.pdf", b"", "The submitted file is empty", id="empty"),
    pytest.param("lineage.txt", HTML, "is an HTML, SVG or XML document", id="html"),
    pytest.param("diagram.svg", SVG, "is not an accepted file type", id="svg"),
    pytest.param("lineage.pdf", crafted.polyglot_pdf_exe(), "hides a Windows executable", id="polyglot"),
    pytest.param("lineage.pdf", crafted.pdf_open_action_js(), "contains JavaScript", id="javascript"),
    pytest.param("lineage.txt", crafted.text_with_late_script(), "text with web markup inside", id="late-markup"),
])
def test_the_page_refuses_a_bad_upload_saying_why(gate, pm, client, settings, name, data, message):
    client.force_login(pm)
    events = AuditEvent.objects.count()

    response = _post(client, gate, SimpleUploadedFile(name, data))

    assert response.status_code == 200  # back on the gate page (POST-redirect-GET), saying why
    assert response.redirect_chain == [(f"/initiatives/{gate.initiative.slug}/gates/{gate.key}/", 302)]
    assert message in response.content.decode()
    assert not Evidence.objects.exists() and files_under(settings.MEDIA_ROOT) == []
    assert AuditEvent.objects.count() == events


def test_the_page_refuses_an_oversized_upload(gate, pm, client, settings):
    settings.HEALTHPM_MAX_UPLOAD_BYTES = 1024
    client.force_login(pm)

    response = _post(client, gate, SimpleUploadedFile("lineage.pdf", pdf_bytes() + b"%" * 4096))

    assert response.status_code == 200 and response.redirect_chain
    assert "the limit is" in response.content.decode()
    assert not Evidence.objects.exists() and files_under(settings.MEDIA_ROOT) == []


def test_a_path_in_the_uploaded_name_never_writes_outside_media_root(gate, pm, client, settings, tmp_path):
    """The test client strips paths itself, so the multipart body is written by hand."""
    boundary = "healthpmBoundary"
    today = timezone.localdate().isoformat()
    body = b"".join([
        f'--{boundary}\r\nContent-Disposition: form-data; name="item"\r\n\r\n{ITEM}\r\n'.encode(),
        f'--{boundary}\r\nContent-Disposition: form-data; name="effective_date"\r\n\r\n{today}\r\n'.encode(),
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="../../etc/passwd.pdf"\r\n'
        f"Content-Type: application/pdf\r\n\r\n".encode(), pdf_bytes(), b"\r\n",
        f"--{boundary}--\r\n".encode(),
    ])
    client.force_login(pm)

    response = client.post(f"/initiatives/{gate.initiative.slug}/gates/{gate.key}/evidence/", body,
                           content_type=f"multipart/form-data; boundary={boundary}")

    # Django's parser keeps only the base name; the stored name is ours, the original is data.
    assert response.status_code == 302
    evidence = Evidence.objects.get()
    assert evidence.original_name == "passwd.pdf"
    assert STORED_NAME.match(evidence.file.name), evidence.file.name
    assert [p for p in files_under(tmp_path) if Path(settings.MEDIA_ROOT) not in p.parents] == []
    assert files_under(settings.MEDIA_ROOT) == [Path(settings.MEDIA_ROOT) / evidence.file.name]


def test_the_page_accepts_a_pdf_and_lists_it(gate, pm, client, settings):
    client.force_login(pm)

    response = _post(client, gate, SimpleUploadedFile("lineage.pdf", pdf_bytes()), follow=False)

    assert response.status_code == 302
    evidence = Evidence.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert "lineage.pdf" in page and evidence.sha256 in page


# --- issue 13: evidence already expired when it is uploaded ---------------------------------------------
def test_evidence_already_expired_at_upload_is_kept_with_a_warning(gate, pm, client):
    client.force_login(pm)
    today = timezone.localdate()
    url = f"/initiatives/{gate.initiative.slug}/gates/{gate.key}/evidence/"

    response = client.post(url, {"item": ITEM, "url": "https://policies.hospital.example/lineage-2024",
                                 "effective_date": (today - timedelta(days=400)).isoformat(),
                                 "expiry_date": (today - timedelta(days=1)).isoformat()}, follow=True)

    evidence = Evidence.objects.get()  # stored: the register keeps it
    assert evidence.expired_at_upload and evidence.state(today) == "expired"
    page = response.content.decode()
    assert "was stored, but it expired on" in page and "does not count as current evidence" in page
    assert "Already expired when uploaded: does not count as current." in page
    assert "added." not in page  # no success message that would say otherwise


def test_evidence_expiring_later_is_added_without_a_warning(gate, pm, client):
    client.force_login(pm)
    today = timezone.localdate()
    response = client.post(f"/initiatives/{gate.initiative.slug}/gates/{gate.key}/evidence/", {
        "item": ITEM, "url": "https://policies.hospital.example/lineage", "effective_date": today.isoformat(),
        "expiry_date": (today + timedelta(days=30)).isoformat()}, follow=True)
    page = response.content.decode()
    assert "(v1) added." in page and "Already expired when uploaded" not in page
    assert not Evidence.objects.get().expired_at_upload


# --- issue 17: the structure check runs once per upload -------------------------------------------
def test_a_file_the_api_checked_first_is_not_parsed_again_by_the_service(gate, pm, monkeypatch):
    """The API checks the upload to name the refused field, then evidence_add checks it again:
    parsing a 25 MB PDF twice would double the cost, so the accepted type is kept on the Upload."""
    from healthpm.gates.services import check_upload
    from healthpm.lib import filetypes

    parsed, real = [], filetypes.check
    monkeypatch.setattr(filetypes, "check", lambda name, data, **kw: parsed.append(name) or real(name, data, **kw))
    upload = Upload(name="lineage.pdf", data=pdf_bytes())

    assert check_upload(upload) == "application/pdf"
    evidence_add(gate=gate, by=pm, item_key=ITEM, effective_date=timezone.localdate(), upload=upload)

    assert parsed == ["lineage.pdf"] and Evidence.objects.get().content_type == "application/pdf"
