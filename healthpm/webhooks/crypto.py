"""Endpoint secrets at rest: Fernet (cryptography) under HEALTHPM_WEBHOOK_KEY, never plain text.

The key is checked when a secret is first encrypted or decrypted, not at start-up, so a
deployment that registers no endpoint need not set it; with DEBUG off, adding an endpoint or
sending to one without it fails with ImproperlyConfigured naming the setting. The demo (DEBUG)
derives a key from SECRET_KEY with HKDF in settings.py, as it does its signing passphrase.
Several keys, comma-separated, rotate: the first encrypts, all decrypt.
"""

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _fernet() -> MultiFernet:
    configured = [k.strip() for k in (settings.HEALTHPM_WEBHOOK_KEY or "").split(",") if k.strip()]
    if not configured:
        raise ImproperlyConfigured(
            "HEALTHPM_WEBHOOK_KEY (or HEALTHPM_WEBHOOK_KEY_FILE) must be set when DEBUG is off: it encrypts "
            "the webhook endpoints' signing secrets."
        )
    try:
        return MultiFernet([Fernet(k.encode()) for k in configured])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "HEALTHPM_WEBHOOK_KEY must be a Fernet key (32 url-safe base64-encoded bytes): generate one with "
            "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`."
        ) from exc


def encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()
