"""`Idempotency-Key` on API writes: a retry gets the first answer back and stores nothing twice.

The key is claimed in the same transaction as the write: a concurrent retry waits on the
unique index until the first commits, then replays it. A refused write rolls back its claim,
so the client can correct the request and send it again under the same key.
"""

import hashlib

from django.db import IntegrityError, transaction
from rest_framework.response import Response

from .errors import problem
from .models import IdempotencyRecord

HEADER = "Idempotency-Key"


def fingerprint(request, files_digest: str) -> str:
    fields = sorted((k, v) for k, v in request.data.items() if k not in request.FILES)
    text = f"{request.method} {request.path}\n{fields!r}\n{files_digest}"
    return hashlib.sha256(text.encode()).hexdigest()


def _replay(record: IdempotencyRecord, print_) -> Response:
    if record.fingerprint != print_:
        return problem(422, f"The {HEADER} “{record.key}” was already used for a different request: "
                            "send a new key for a new request.")
    response = Response(record.body, status=record.status)
    response["Idempotent-Replayed"] = "true"
    return response


def run_once(request, print_: str, write) -> Response:
    """`write()` returns (status, body); with a key its first result is stored and replayed."""
    key = request.headers.get(HEADER, "").strip()
    if not key:
        status, body = write()
        return Response(body, status=status)
    if len(key) > 255:
        return problem(400, f"The {HEADER} is longer than 255 characters.",
                       errors=[{"field": HEADER, "detail": "At most 255 characters."}])
    token = request.auth
    existing = IdempotencyRecord.objects.filter(token=token, key=key).first()
    if existing is not None and existing.status is not None:
        return _replay(existing, print_)
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(token=token, key=key, fingerprint=print_)
            status, body = write()
            record.status, record.body = status, body
            record.save(update_fields=["status", "body"])
    except IntegrityError:
        # A concurrent request with the same key committed first.
        return _replay(IdempotencyRecord.objects.get(token=token, key=key), print_)
    return Response(body, status=status)
