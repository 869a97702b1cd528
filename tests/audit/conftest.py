# The dossier tests' signing certificates (ours and a stranger's): anchors are signed with the same.
from tests.dossier.conftest import _certificates, other_signer, signing_cert  # noqa: F401
