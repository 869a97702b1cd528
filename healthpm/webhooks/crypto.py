"""Endpoint secrets at rest: Fernet (cryptography) under HEALTHPM_WEBHOOK_KEY, never plain text.

The key is resolved when a secret is first encrypted or decrypted, not at start-up, so a
deployment that registers no endpoint need not set it. With DEBUG off it must be set (a
Fernet key, `Fernet.generate_key()`; several, comma-separated, to rotate: the first encrypts,
all decrypt). With DEBUG on (the demo, the tests) a key is derived from SECRET_KEY with HKDF,
so the demo works with nothing configured and a production SECRET_KEY is never reused silently.
"""

import base64

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _fernet() -> MultiFernet:
    configured = [k.strip() for k in (settings.HEALTHPM_WEBHOOK_KEY or "").split(",") if k.strip()]
    if configured:
        try:
            return MultiFernet([Fernet(k.encode()) for k in configured])
        except ValueError as exc:
            raise ImproperlyConfigured(
                "HEALTHPM_WEBHOOK_KEY must be a Fernet key (32 url-safe base64-encoded bytes): "
                "generate one with `python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`."
            ) from exc
    if not settings.DEBUG:
        raise ImproperlyConfigured(
            "HEALTHPM_WEBHOOK_KEY (or HEALTHPM_WEBHOOK_KEY_FILE) must be set when DEBUG is off: it encrypts "
            "the webhook endpoints' signing secrets."
        )
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                   info=b"healthpm webhook secrets").derive(settings.SECRET_KEY.encode())
    return MultiFernet([Fernet(base64.urlsafe_b64encode(derived))])


def encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()
