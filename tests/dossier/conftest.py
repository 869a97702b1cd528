import shutil

import pytest

from healthpm.dossier import signing

PASSPHRASE = "test-signing-passphrase"


@pytest.fixture(scope="session")
def _certificates(tmp_path_factory):
    """Two RSA-3072 certificates made once per run: ours and someone else's."""
    folder = tmp_path_factory.mktemp("certs")
    signing.make_certificate(folder / "ours.p12", secret=PASSPHRASE.encode())
    signing.make_certificate(folder / "other.p12", secret=b"other", common_name="Mallory's signing key")
    return folder


@pytest.fixture
def signing_cert(settings, tmp_path, _certificates):
    """This deployment's signing certificate, in tmp_path, with the settings pointing at it."""
    path = tmp_path / "signing" / "healthpm-signing.p12"
    path.parent.mkdir()
    shutil.copy(_certificates / "ours.p12", path)
    settings.HEALTHPM_SIGNING_P12 = path
    settings.HEALTHPM_SIGNING_PASSPHRASE = PASSPHRASE
    return path


@pytest.fixture
def other_signer(_certificates):
    """A signer whose certificate this deployment never issued."""
    from pyhanko.sign import signers

    return signers.SimpleSigner.load_pkcs12(pfx_file=str(_certificates / "other.p12"), passphrase=b"other")


# --- the test PKI on loopback (long-term signatures, issue 17) -----------------------------
PKI_PASSPHRASE = "test-pki-passphrase"


@pytest.fixture(scope="session")
def test_pki():
    """certomancer's CA, OCSP responder, CRLs and TSA on 127.0.0.1, for the whole run."""
    from tests.required import unavailable_for

    try:
        from tests.pki.server import TestPki

        pki = TestPki.start()
    except Exception as exc:  # certomancer missing or its configuration broken
        unavailable_for("Long-term signature tests")(f"the test PKI (certomancer) could not start: {exc!r}")
    yield pki
    pki.stop()


@pytest.fixture(scope="session")
def pki_files(test_pki, tmp_path_factory):
    """Each test signer as PKCS#12 (with its CA chain), and the root CA as PEM."""
    from types import SimpleNamespace

    folder = tmp_path_factory.mktemp("pki")
    p12 = {label: test_pki.write_p12(label, folder / f"{label}.p12", PKI_PASSPHRASE.encode())
           for label in ("signer1", "signer2", "revoked", "expiring")}
    return SimpleNamespace(p12=p12, root=test_pki.write_root(folder / "root.pem"))


def pki_settings(test_pki, pki_files, label: str = "signer1") -> dict:
    """The settings of a deployment whose PKI is the test PKI, signing with `label`, with its TSA."""
    return {"HEALTHPM_SIGNING_P12": pki_files.p12[label], "HEALTHPM_SIGNING_PASSPHRASE": PKI_PASSPHRASE,
            "HEALTHPM_SIGNING_TRUST_ROOTS": [str(pki_files.root)], "HEALTHPM_TSA_URL": test_pki.tsa_url}


@pytest.fixture
def long_term_signing(settings, test_pki, pki_files):
    """This deployment signs with the test PKI's first signer certificate and timestamps with its TSA."""
    for name, value in pki_settings(test_pki, pki_files).items():
        setattr(settings, name, value)
    return test_pki
