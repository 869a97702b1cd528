"""The test PKI (certomancer.yml) served on 127.0.0.1: a root and a signing CA, an OCSP responder,
CRLs and an RFC 3161 TSA, for long-term signature tests (issue 17).

`TestPki.start()` builds the PKI with its times relative to now, serves certomancer's Animator
(a WSGI app) from werkzeug in a daemon thread on a free port, and `stop()` shuts it down.
`at(moment)` makes every service answer as of another time (a revocation in the future).
"""

import shutil
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from string import Template

HERE = Path(__file__).parent
ARCH = "healthpm"

OFFSETS = {
    "T0_MINUS_1D": timedelta(days=-1),
    "T0_PLUS_1D": timedelta(days=1),
    "T0_PLUS_1Y": timedelta(days=365),
    "T0_PLUS_10Y": timedelta(days=3650),
}


@dataclass
class TestPki:
    t0: datetime
    url: str
    arch: object  # certomancer PKIArchitecture
    animator: object
    _server: object = field(repr=False, default=None)
    _thread: threading.Thread | None = field(repr=False, default=None)
    _keys: Path | None = field(repr=False, default=None)

    __test__ = False  # not a pytest test class

    @classmethod
    def start(cls) -> "TestPki":
        import yaml
        from certomancer.integrations.animator import Animator, AnimatorArchStore
        from certomancer.registry import CertomancerConfig
        from werkzeug.serving import WSGIRequestHandler, make_server

        class Quiet(WSGIRequestHandler):
            def log_request(self, *args, **kwargs):  # one line per OCSP/CRL fetch is noise in test output
                pass

        t0 = datetime.now(timezone.utc).replace(microsecond=0)
        text = Template((HERE / "certomancer.yml").read_text()).substitute(
            {name: (t0 + delta).strftime("%Y-%m-%dT%H:%M:%S+0000") for name, delta in OFFSETS.items()})
        # Bound first, so the certificates' OCSP/CRL URLs can name the port.
        server = make_server("127.0.0.1", 0, _not_ready, threaded=True, request_handler=Quiet)
        url = f"http://127.0.0.1:{server.server_port}"
        config_data = yaml.safe_load(text)
        keys = _fresh_keys(config_data)
        config = CertomancerConfig(config_data, key_search_dir=str(keys), external_url_prefix=url)
        arch = config.get_pki_arch(ARCH)
        animator = Animator(AnimatorArchStore(config.pki_archs), with_web_ui=False)
        server.app = animator
        thread = threading.Thread(target=server.serve_forever, name="test-pki", daemon=True)
        thread.start()
        return cls(t0=t0, url=url, arch=arch, animator=animator, _server=server, _thread=thread, _keys=keys)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        shutil.rmtree(self._keys, ignore_errors=True)

    @property
    def tsa_url(self) -> str:
        return f"{self.url}/{ARCH}/tsa/tsa"

    def cert(self, label: str):
        return self.arch.get_cert(label)

    def write_p12(self, label: str, path: Path, passphrase: bytes) -> Path:
        """The certificate, its key and its chain (the signing CA) as PKCS#12, as a deployment keeps them."""
        path.write_bytes(self.arch.package_pkcs12(label, password=passphrase))
        return path

    def write_root(self, path: Path) -> Path:
        """The root CA as PEM: what HEALTHPM_SIGNING_TRUST_ROOTS points at."""
        from asn1crypto import pem

        path.write_bytes(pem.armor("CERTIFICATE", self.cert("root").dump()))
        return path

    @contextmanager
    def at(self, moment: datetime):
        """Every service (OCSP, CRL, TSA) answers as of moment."""
        before = self.animator.fixed_time
        self.animator.fixed_time = moment
        try:
            yield
        finally:
            self.animator.fixed_time = before


def _not_ready(environ, start_response):
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"test PKI starting"]


def _fresh_keys(config_data: dict) -> Path:
    """A new RSA key for every entity of the keyset, in a temporary folder laid out as the config says.

    Made per run rather than kept in the repository: no private key is committed, not even a test one.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    root = Path(tempfile.mkdtemp(prefix="healthpm-test-pki-"))
    for keyset in config_data["keysets"].values():
        folder = root / keyset.get("path-prefix", "")
        folder.mkdir(parents=True, exist_ok=True)
        for key in keyset["keys"].values():
            private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            (folder / key["path"]).write_bytes(private.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return root
