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
