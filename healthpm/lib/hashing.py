"""Canonical hashing: the same facts always give the same SHA-256, whatever the dict order."""

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot hash {type(value).__name__}")


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace, so equal data serialises identically."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=_default, ensure_ascii=False)


def digest(value: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of value."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def sha256_chunks(chunks) -> tuple[str, int]:
    """SHA-256 (hex) and total size of an iterable of byte chunks."""
    h = hashlib.sha256()
    size = 0
    for chunk in chunks:
        h.update(chunk)
        size += len(chunk)
    return h.hexdigest(), size
