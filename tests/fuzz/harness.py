"""Send one fuzzed request and check the two promises of issue 6.

1. Never a 500: the test client re-raises a view's exception, so a crash fails the example
   with its traceback; any status outside the form's allowed set fails it too.
2. Never a partial write: every example runs in a savepoint that is rolled back, between a
   snapshot of every table a form can touch taken before and after the request.
   - Refused (not a success): the snapshot is unchanged, except for the audit events a
     refusal itself must leave (a failed login, a refused signature).
   - Accepted: nothing stored holds a NUL, another control character (tab and line
     breaks aside) or a lone surrogate, every e-mail queued can be built, the audit hash
     chain still verifies, and the form's own round-trip check passes (what was stored is
     what the form cleaned).
"""

import time
import unicodedata
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.http import QueryDict

from healthpm.api.models import ApiToken, IdempotencyRecord
from healthpm.approvals.models import Signature
from healthpm.audit.models import AuditEvent
from healthpm.audit.services import verify_chain
from healthpm.collaboration.models import Comment
from healthpm.dashboard.models import BaaFact, PortfolioFacts, ReviewTime
from healthpm.dossier.models import Dossier
from healthpm.gates.models import Evidence, Gate, GateDecision, PendingImport
from healthpm.initiatives.models import Initiative
from healthpm.notifications.models import Notification

# Examples run, accepted (the form and service took them) and seconds spent, per form;
# printed at the end of the run (conftest.py).
COUNTS: Counter = Counter()
ACCEPTED: Counter = Counter()
SECONDS: Counter = Counter()

Body = dict[str, str | list[str]]
FileSpec = tuple[str, str, str, bytes]  # (field, file name, declared content type, bytes)


# --- encoding as a (possibly broken) client would ----------------------------------------
def _bytes(text: str) -> bytes:
    # surrogatepass: a lone surrogate goes out as the invalid UTF-8 a broken client sends.
    return text.encode("utf-8", "surrogatepass")


def _items(body: Body) -> Iterable[tuple[str, str]]:
    for key, value in body.items():
        for item in value if isinstance(value, list) else [value]:
            yield key, item


def urlencoded(body: Body) -> bytes:
    return "&".join(f"{quote_plus(_bytes(k))}={quote_plus(_bytes(v))}" for k, v in _items(body)).encode("ascii")


def as_server_sees(body: Body) -> QueryDict:
    """The QueryDict Django builds from this body (invalid UTF-8 becomes U+FFFD)."""
    return QueryDict(urlencoded(body))


def multipart(body: Body, files: list[FileSpec], *, raw_names: bool) -> tuple[bytes, str]:
    """A multipart/form-data body. Browsers escape quote, CR and LF in file names
    (WHATWG); with raw_names they go out as they are, as a hand-made client might send them."""
    boundary = f"fuzz{uuid.uuid4().hex}"
    out = []
    for key, value in _items(body):
        out += [f"--{boundary}".encode(), f'Content-Disposition: form-data; name="{key}"'.encode("utf-8", "surrogatepass"),
                b"", _bytes(value)]
    for key, name, declared, data in files:
        if not raw_names:
            name = name.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
        out += [f"--{boundary}".encode(),
                _bytes(f'Content-Disposition: form-data; name="{key}"; filename="{name}"'),
                _bytes(f"Content-Type: {declared or 'application/octet-stream'}"), b"", data]
    out += [f"--{boundary}--".encode(), b""]
    return b"\r\n".join(out), f"multipart/form-data; boundary={boundary}"


def wsgi_headers(headers: dict[str, str]) -> dict[str, str]:
    """Header values as a WSGI server hands them over: the bytes sent, decoded as latin-1
    (PEP 3333). A lone surrogate can only arrive as the bytes of one."""
    return {name: _bytes(value).decode("latin-1") for name, value in headers.items()}


def querystring(body: Body) -> str:
    return urlencoded(body).decode("ascii")


# --- the database, before and after ---------------------------------------------------------
def snapshot() -> dict[str, Any]:
    """Every row a form can write, field by field (the test database is small)."""
    user_model = get_user_model()
    tables = {
        "users": user_model.objects.values("pk", "username", "password", "last_login", "is_active", "first_name",
                                           "last_name", "email"),
        "initiatives": Initiative.objects.values(),
        "collaborators": Initiative.collaborators.through.objects.values(),
        "gates": Gate.objects.values(),
        "evidence": Evidence.objects.values(),
        "decisions": GateDecision.objects.values(),
        "signatures": Signature.objects.values(),
        "notifications": Notification.objects.values(),
        "comments": Comment.objects.values(),
        "dossiers": Dossier.objects.values(),
        "facts": PortfolioFacts.objects.values(),
        "baa_facts": BaaFact.objects.values(),
        "review_times": ReviewTime.objects.values(),
        "pending_imports": PendingImport.objects.values("pk", "gate_id", "table_key", "sha256", "rows", "problems"),
        "audit": AuditEvent.objects.values("pk", "action", "hash", "actor_label", "object_repr", "before", "after"),
        # Not last_used_at: every authenticated API request stamps it, refused or not.
        "api_tokens": ApiToken.objects.values("pk", "owner_id", "name", "prefix", "scopes", "expires_at", "revoked_at"),
        "idempotency": IdempotencyRecord.objects.values(),
    }
    return {name: list(qs.order_by("pk")) for name, qs in tables.items()}


def changed_tables(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after[name]]


def strings_in(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from strings_in(k)
            yield from strings_in(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from strings_in(v)


def _bad(char: str) -> bool:
    # NUL and the other control characters (a Textarea keeps tab and line breaks), lone surrogates.
    return (unicodedata.category(char) == "Cc" and char not in "\t\n\r") or 0xD800 <= ord(char) <= 0xDFFF


def bad_characters(state: dict) -> list[str]:
    """Stored strings holding a control character or a lone surrogate, as short reprs."""
    return [repr(text[:80]) for text in strings_in(state) if any(_bad(c) for c in text)]


def undeliverable(before: dict, after: dict) -> list[str]:
    """Notifications queued by this request that could not be sent (a line break in a subject
    raises BadHeaderError in the Celery task, long after the request looked fine)."""
    old = {row["id"] for row in before["notifications"]}
    problems = []
    for row in after["notifications"]:
        if row["id"] in old:
            continue
        try:
            EmailMultiAlternatives(row["subject"], row["body_text"], to=["someone@hospital.example"]).message()
        except Exception as exc:  # noqa: BLE001 - any failure means the e-mail never leaves
            problems.append(f"{row['subject'][:60]!r}: {exc}")
    return problems


def error_messages(response) -> list[str]:
    request = getattr(response, "wsgi_request", None)
    if request is None:
        return []
    return [str(m) for m in messages.get_messages(request) if m.level >= messages.ERROR]


# --- one example -------------------------------------------------------------------------------
def redirected(response, errors: list[str]) -> bool:
    """The usual success: a redirect after POST without an error message."""
    return response.status_code == 302 and not errors


@dataclass
class FormCase:
    """How one form is fuzzed: who posts where, what counts as success, what a refusal may write."""

    name: str
    url: str
    user: Any = None  # None: anonymous
    method: str = "post"
    allowed_statuses: frozenset[int] = frozenset({200, 302, 400})
    succeeded: Callable[[Any, list[str]], bool] = redirected
    # Audit actions a refusal itself records (a failed login must be in the trail).
    refusal_audit: frozenset[str] = frozenset()
    headers: dict[str, str] = field(default_factory=dict)
    # A page that only reads (filters, the live preview): nothing may be written, whatever the answer.
    read_only: bool = False


@dataclass
class Outcome:
    response: Any
    before: dict
    after: dict
    errors: list[str]
    success: bool

    @property
    def changed(self) -> list[str]:
        return changed_tables(self.before, self.after)


def fuzz_request(client, case: FormCase, body: Body, *, files: list[FileSpec] | None = None, raw_names: bool = False,
                 expect_valid: bool | None = None, on_success: Callable[[Outcome], None] | None = None) -> Outcome:
    """Send body (and files) as case.user, check the promises, roll everything back."""
    started = time.perf_counter()
    headers = wsgi_headers(case.headers)
    _sign_in(client, case.user)  # outside the savepoint: the session outlives the rollback
    client.cookies.pop("messages", None)  # the last example's flash messages are not this one's
    with transaction.atomic():
        before = snapshot()
        if case.method == "get":
            url = f"{case.url}?{querystring(body)}" if body else case.url
            response = client.get(url, headers=headers)
        elif files is not None:
            data, content_type = multipart(body, files, raw_names=raw_names)
            response = client.post(case.url, data=data, content_type=content_type, headers=headers)
        else:
            response = client.post(case.url, data=urlencoded(body), content_type="application/x-www-form-urlencoded",
                                   headers=headers)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)  # a CSV row that fails must fail here, not unseen
        after = snapshot()
        errors = error_messages(response)
        outcome = Outcome(response, before, after, errors, case.succeeded(response, errors))
        assert response.status_code in case.allowed_statuses, (
            f"{case.name}: status {response.status_code} not in {sorted(case.allowed_statuses)}; errors {errors}"
        )
        if case.read_only:
            _assert_nothing_written(case, before, after, response, errors)
        elif outcome.success:
            assert expect_valid is not False, f"{case.name}: the form refuses this body, yet the view reported success"
            bad = bad_characters(after)
            assert not bad, f"{case.name}: stored a control character or lone surrogate: {bad[:3]}"
            mail = undeliverable(before, after)
            assert not mail, f"{case.name}: queued e-mail that cannot be sent: {mail[:3]}"
            checked, broken = verify_chain()
            assert broken is None, f"{case.name}: audit chain broken at event {broken}"
            if on_success is not None:
                on_success(outcome)
        else:
            _assert_nothing_written(case, before, after, response, errors)
        transaction.set_rollback(True)
    COUNTS[case.name] += 1
    ACCEPTED[case.name] += outcome.success and not case.read_only
    SECONDS[case.name] += time.perf_counter() - started
    return outcome


def assert_pages_open(pages: list[tuple[Any, str]], *, reminders: bool = False) -> None:
    """After a save: what was stored still renders everywhere it is shown (each (user, url) answers
    200, a CSV streams to the end) and the daily reminder run copes with it. Call inside the
    example's savepoint (from on_success)."""
    from django.test import Client

    from healthpm.notifications.reminders import send_reminders

    for user, url in pages:
        reader = Client()
        reader.force_login(user)
        response = reader.get(url)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
        assert response.status_code == 200, f"{url} as {user}: {response.status_code} after the save"
    if reminders:
        send_reminders()


def _sign_in(client, user) -> None:
    """Sign the client in as user (or out), reusing a session that survived the last rollback.

    Signing in writes a session and an audit event; doing it once per test rather than per
    example keeps each example to the request itself.
    """
    current = client.session.get("_auth_user_id")
    if user is None:
        if current is not None:
            client.logout()
    elif current != str(user.pk):
        client.force_login(user)


def _assert_nothing_written(case: FormCase, before: dict, after: dict, response, errors: list[str]) -> None:
    changed = changed_tables(before, after)
    if changed == ["audit"] and case.refusal_audit:
        old, new = before["audit"], after["audit"]
        assert new[: len(old)] == old, f"{case.name}: a refusal changed existing audit events"
        actions = {event["action"] for event in new[len(old):]}
        assert actions <= case.refusal_audit, f"{case.name}: a refusal recorded {actions - case.refusal_audit}"
        assert not bad_characters(new[len(old):]), f"{case.name}: a refusal's audit event stored a control character"
        return
    assert not changed, (
        f"{case.name}: refused (status {response.status_code}, errors {errors}) but wrote to {changed}"
    )
