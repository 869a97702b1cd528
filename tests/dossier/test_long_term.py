"""Long-term signatures (issue 17, part 2): PAdES B-LTA with a real TSA, OCSP and CRLs on loopback
(tests/pki, certomancer), the B-B fallback without a TSA, and certificate rotation."""

import socket
from datetime import timedelta
from io import BytesIO, StringIO

import pytest
import time_machine
from asn1crypto import cms
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from pyhanko.pdf_utils.generic import pdf_string
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.validation import DocumentSecurityStore, validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from healthpm.audit import checkpoints
from healthpm.dossier import signing
from healthpm.dossier.models import Dossier, SigningCertificate
from healthpm.dossier.services import dossier_export, dossier_verify
from tests.factories import signed_initiative

from .conftest import pki_settings
from .helpers import export, one_line, pdfsig_dump, pdfsig_signatures, reader

pytestmark = pytest.mark.django_db


def small_pdf() -> bytes:
    from weasyprint import HTML

    return HTML(string="<h1>Dossier</h1><p>Signed for the long-term signature tests.</p>").write_pdf()


@pytest.fixture(scope="module")
def signed_with(test_pki, pki_files):
    """signed_with("expiring") → a small PDF signed B-LTA with that test certificate, now (made once per module)."""
    made: dict[str, bytes] = {}
    unsigned = small_pdf()

    def sign(label: str) -> bytes:
        if label not in made:
            with override_settings(**pki_settings(test_pki, pki_files, label)):
                made[label] = signing.sign_pdf(unsigned, signing.load_signer(), reason="long-term test")
        return made[label]

    return sign


def root_of(pki):
    return [pki.cert("root")]


def context(data: bytes, pki, *, revinfo: bool = True, **kwargs) -> ValidationContext:
    """A validation context with the document's embedded certificates (and OCSP responses and CRLs)."""
    dss = DocumentSecurityStore.read_dss(reader(data))
    base = {"trust_roots": root_of(pki), "allow_fetching": False, "revocation_mode": "soft-fail", **kwargs}
    if revinfo:
        return dss.as_validation_context(base)
    return ValidationContext(other_certs=list(dss.load_certs()), **base)


def gen_time(blob: bytes):
    """The genTime of an RFC 3161 token: the blob itself (a document timestamp), or the signature
    timestamp in a CMS signature's unsigned attributes."""
    signed = cms.ContentInfo.load(blob)["content"]
    if signed["encap_content_info"]["content_type"].native == "tst_info":
        return signed["encap_content_info"]["content"].parsed["gen_time"].native
    attrs = signed["signer_infos"][0]["unsigned_attrs"]
    token = next(a for a in attrs if a["type"].native == "signature_time_stamp_token")["values"][0]
    return token["content"]["encap_content_info"]["content"].parsed["gen_time"].native


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- B-LTA with the test TSA -------------------------------------------------------------------
def test_a_dossier_signed_with_a_tsa_is_b_lta_and_pdfsig_shows_its_timestamps(pm, compliance, long_term_signing,
                                                                             login):
    dossier, data = export(signed_initiative(pm, compliance))

    assert dossier.signature_level == signing.LEVEL_LTA
    signature, stamp = pdfsig_signatures(data)
    assert signature["Signature Field Name"] == "healthpm"
    assert signature["Signer Certificate Common Name"] == "healthpm dossier signing 1"
    assert signature["Signature Type"] == "ETSI.CAdES.detached"
    assert signature["Signature Validation"] == "Signature is Valid."
    # The document timestamp: the TSA's signature over the whole file, validation data included.
    assert stamp["Signature Field Name"] == "healthpm-timestamp"
    assert stamp["Signer Certificate Common Name"] == "healthpm Test TSA"
    assert "Total document signed" in stamp
    # poppler 22 prints the document timestamp's signer but not its time ("Jan 01 1970"); the tokens
    # it dumps carry the times: the signature's timestamp, then the document timestamp.
    signature_blob, stamp_blob = pdfsig_dump(data)
    signed_at, stamped_at = gen_time(signature_blob), gen_time(stamp_blob)
    assert dossier.started_at - timedelta(seconds=5) <= signed_at <= stamped_at <= dossier.finished_at
    certificate = SigningCertificate.objects.get()
    assert dossier.signing_certificate == certificate and "healthpm dossier signing 1" in certificate.subject
    assert "healthpm Test Signing CA" in certificate.issuer
    result = dossier_verify(data)
    assert result.verdict == "genuine" and "PAdES B-LTA" in result.message
    page = one_line(login(pm).get(reverse("dossier:page", args=[dossier.initiative.slug])).content.decode())
    assert "PAdES B-LTA" in page and "no trusted timestamp" not in page


def test_a_timestamp_keeps_a_signature_valid_after_its_certificate_expired(signed_with, test_pki):
    data = signed_with("expiring")
    embedded = reader(data).embedded_regular_signatures[0]
    expiry = test_pki.cert("expiring").not_valid_after
    later = expiry + timedelta(days=1)

    # Validated a day after the certificate expired, from the outside in (PAdES B-LTA):
    # 1. the document timestamp, as of then: it covers the file, so everything in it existed at its time;
    document = validate_pdf_timestamp(reader(data).embedded_timestamp_signatures[-1], skip_diff=True,
                                      validation_context=context(data, test_pki, revinfo=False, moment=later))
    assert document.trusted and document.coverage == SignatureCoverageLevel.ENTIRE_FILE
    # 2. the signature timestamp as of the document timestamp; the signer's certificate, as of now, has expired;
    at_later = validate_pdf_signature(embedded, signer_validation_context=context(data, test_pki, moment=later),
                                      ts_validation_context=context(data, test_pki, moment=document.timestamp))
    assert at_later.intact and at_later.valid and not at_later.trusted
    stamp = at_later.timestamp_validity
    assert stamp.intact and stamp.valid and stamp.trusted and stamp.timestamp < expiry
    # 3. so the signature is validated as of its timestamp, with the OCSP/CRLs embedded at signing.
    as_of_stamp = validate_pdf_signature(embedded, skip_diff=True,
                                         signer_validation_context=context(data, test_pki, moment=stamp.timestamp))
    assert as_of_stamp.trusted
    # What check_signature (dossier_verify) concludes a day after the expiry: genuine, thanks to the timestamp.
    with time_machine.travel(later, tick=False):
        check = signing.check_signature(data, [test_pki.cert("expiring")], trust_roots=root_of(test_pki))
    assert check.genuine and check.as_of_timestamp and check.level == signing.LEVEL_LTA


def test_a_certificate_revoked_after_signing_still_validates_as_of_the_signing_time(signed_with, test_pki):
    data = signed_with("revoked")
    embedded = reader(data).embedded_regular_signatures[0]
    later = test_pki.t0 + timedelta(days=2)  # revoked at t0 + 1 day (tests/pki/certomancer.yml)

    with test_pki.at(later):
        fetched = {"trust_roots": root_of(test_pki), "allow_fetching": True, "revocation_mode": "hard-fail"}
        now = validate_pdf_signature(embedded, signer_validation_context=ValidationContext(moment=later, **fetched),
                                     ts_validation_context=ValidationContext(moment=later, **fetched))
        assert now.intact and now.valid and not now.trusted
        revoked = now.revocation_details
        assert revoked is not None and revoked.revocation_date > now.timestamp_validity.timestamp
        signed_at = now.timestamp_validity.timestamp
        # The OCSP responder's answer today (revoked since t0 + 1 day) applies back to the signing time.
        then = validate_pdf_signature(embedded, skip_diff=True, signer_validation_context=ValidationContext(
            moment=signed_at, retroactive_revinfo=True, **fetched))
    assert then.intact and then.valid and then.trusted
    # Offline, with the OCSP response embedded at signing, dossier_verify's check says the same.
    with time_machine.travel(later, tick=False):
        check = signing.check_signature(data, [test_pki.cert("revoked")], trust_roots=root_of(test_pki))
    assert check.genuine and check.timestamp == signed_at


def test_a_tsa_that_does_not_answer_fails_the_dossier_and_never_falls_back_to_b_b(pm, compliance, long_term_signing,
                                                                                settings):
    initiative = signed_initiative(pm, compliance)
    settings.HEALTHPM_TSA_URL = f"http://127.0.0.1:{closed_port()}/tsa"

    dossier = dossier_export(initiative=initiative, actor_label="test")

    assert dossier.state == Dossier.State.FAILED and not dossier.file and not dossier.signature_level
    assert "time-stamping authority" in dossier.error and settings.HEALTHPM_TSA_URL in dossier.error
    assert not Dossier.objects.filter(state=Dossier.State.DONE).exists()


def test_a_tsa_that_answers_with_an_error_fails_the_dossier(pm, compliance, long_term_signing, settings):
    settings.HEALTHPM_TSA_URL = long_term_signing.url + "/healthpm/tsa/no-such-tsa"

    dossier = dossier_export(initiative=signed_initiative(pm, compliance), actor_label="test")

    assert dossier.state == Dossier.State.FAILED and "time-stamping authority" in dossier.error


def test_a_certificate_already_revoked_is_refused_at_signing(test_pki, pki_files):
    later = test_pki.t0 + timedelta(days=2)  # after the revocation at t0 + 1 day

    with override_settings(**pki_settings(test_pki, pki_files, "revoked")), test_pki.at(later), \
            time_machine.travel(later, tick=False), pytest.raises(signing.TimestampUnavailable) as refused:
        signing.sign_pdf(small_pdf(), signing.load_signer(), reason="after revocation")

    assert "could not be gathered" in str(refused.value) and "revoked" in str(refused.value).lower()


def test_a_tsa_whose_chain_is_not_trusted_is_refused_at_signing(test_pki, pki_files):
    untrusted = {**pki_settings(test_pki, pki_files), "HEALTHPM_SIGNING_TRUST_ROOTS": []}

    with override_settings(**untrusted), pytest.raises(signing.TimestampUnavailable) as refused:
        signing.sign_pdf(small_pdf(), signing.load_signer(), reason="no trust roots")

    assert "HEALTHPM_SIGNING_TRUST_ROOTS" in str(refused.value) and "Test Root CA" in str(refused.value)


# --- B-LTA: only a document timestamp may follow the signature ---------------------------------------
def _revision_changing_the_catalog(data: bytes) -> bytes:
    writer = IncrementalPdfFileWriter(BytesIO(data), strict=False)
    writer.root["/Lang"] = pdf_string("fr")
    writer.update_root()
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize("append", [
    pytest.param(lambda data: data + b"\n% appended after the document timestamp\n", id="bytes"),
    pytest.param(_revision_changing_the_catalog, id="revision"),
])
def test_anything_but_a_timestamp_appended_to_a_b_lta_file_is_altered(append, signed_with, test_pki, pki_files,
                                                                     settings):
    for name, value in pki_settings(test_pki, pki_files).items():
        setattr(settings, name, value)
    data = signed_with("signer1")
    assert signing.check_signature(data, signing.load_signer().signing_cert).whole_file

    result = dossier_verify(append(data))

    assert result.verdict == "altered" and "added to the file after it was signed" in result.message


# --- rotation ---------------------------------------------------------------------------------------
def test_dossiers_signed_before_and_after_a_certificate_rotation_both_verify(pm, compliance, long_term_signing,
                                                                           pki_files, settings, tmp_path, capsys):
    initiative = signed_initiative(pm, compliance)
    first, first_data = export(initiative)
    settings.HEALTHPM_SIGNING_P12 = pki_files.p12["signer2"]
    second, second_data = export(initiative)

    assert [c.subject.split(",")[0] for c in SigningCertificate.objects.order_by("first_used_at")] == [
        "Common Name: healthpm dossier signing 1", "Common Name: healthpm dossier signing 2"]
    assert first.signing_certificate != second.signing_certificate
    for dossier, data in ((first, first_data), (second, second_data)):
        result = dossier_verify(data)
        assert result.verdict == "genuine" and result.dossier == dossier
        path = tmp_path / f"v{dossier.pk}.pdf"
        path.write_bytes(data)
        call_command("verify_dossier", str(path))
        assert "Genuine" in capsys.readouterr().out


def test_a_self_signed_certificate_replaced_by_another_keeps_its_dossiers_verifiable(pm, compliance, signing_cert,
                                                                                   settings, tmp_path):
    initiative = signed_initiative(pm, compliance)
    old, old_data = export(initiative)
    checkpoints.checkpoint_write()  # an audit checkpoint signed with the old certificate too
    replacement = tmp_path / "replacement.p12"
    signing.make_certificate(replacement, secret=settings.HEALTHPM_SIGNING_PASSPHRASE.encode(),
                             common_name="healthpm dossier signing (2027)")
    settings.HEALTHPM_SIGNING_P12 = replacement
    new, new_data = export(initiative)

    assert dossier_verify(old_data).verdict == "genuine" and dossier_verify(new_data).verdict == "genuine"
    # The audit anchors signed before the rotation (a dossier, a checkpoint) still hold.
    out, err = StringIO(), StringIO()
    call_command("verify_audit", "--anchors", stdout=out, stderr=err)
    assert "Anchors: 3 checked" in out.getvalue() and "not with this deployment's certificate" not in err.getvalue()
    # A certificate never recorded (not ours) is still refused.
    SigningCertificate.objects.filter(pk=old.signing_certificate_id).update(der=new.signing_certificate.der)
    assert dossier_verify(old_data).verdict == "foreign"


# --- no TSA: B-B, and the page says what that means ---------------------------------------------------
def test_without_a_tsa_a_dossier_is_b_b_and_the_page_says_it_has_no_trusted_timestamp(pm, compliance, signing_cert,
                                                                                    login):
    dossier, data = export(signed_initiative(pm, compliance))

    assert dossier.signature_level == signing.LEVEL_BB
    assert [s["Signature Field Name"] for s in pdfsig_signatures(data)] == ["healthpm"]
    page = one_line(login(compliance).get(reverse("dossier:page", args=[dossier.initiative.slug])).content.decode())
    assert "PAdES B-B · no trusted timestamp" in page
    assert "no trusted timestamp, because no time-stamping authority is configured" in page
    assert "once the certificate expires or is revoked" in page
    assert "PAdES B-B" in dossier_verify(data).message
    # Once the certificate has expired, a B-B dossier can no longer be accepted, and the answer says why.
    expiry = signing.load_signer().signing_cert.not_valid_after
    with time_machine.travel(expiry + timedelta(days=1), tick=False):
        result = dossier_verify(data)
    assert result.verdict == "untrusted"
    assert "expired" in result.message and "no trusted timestamp (PAdES B-B)" in result.message


def test_trust_roots_are_read_from_a_bundle_and_a_missing_file_is_reported(signed_with, test_pki, pki_files, settings,
                                                                           tmp_path):
    for name, value in pki_settings(test_pki, pki_files).items():
        setattr(settings, name, value)
    data = signed_with("signer1")
    bundle = tmp_path / "bundle.pem"
    # An unrelated CA first (the TSA's certificate stands in for one), then the real root.
    from asn1crypto import pem

    bundle.write_bytes(pem.armor("CERTIFICATE", test_pki.cert("tsa").dump()) + pki_files.root.read_bytes())
    settings.HEALTHPM_SIGNING_TRUST_ROOTS = [str(bundle)]

    assert [c.subject.human_friendly for c in signing.configured_trust_roots()][1].startswith(
        "Common Name: healthpm Test Root CA")
    assert dossier_verify(data).verdict == "unknown"  # genuine signature, but no stored dossier has this hash

    settings.HEALTHPM_SIGNING_TRUST_ROOTS = [str(tmp_path / "gone.pem")]
    result = dossier_verify(data)
    assert result.verdict == "unavailable" and "gone.pem" in result.message
