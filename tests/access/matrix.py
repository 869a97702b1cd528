"""Machinery of the permission matrix (tests/access/test_permission_matrix.py, issue 6).

1. `url_cases()` walks the project's URLconf and yields one `Case` per URL pattern, or one
   per initiative state (draft, in review, approved) for patterns that take an initiative.
2. `build_world()` creates the people and objects every case needs, through the real
   services: three initiatives with a team, evidence files, a submitted gate, a signed
   approval, rendered dossiers, audit rows, notifications and login records.
3. `concrete_url()` fills a case's parameters with those real objects; `classify()` turns a
   response into an outcome; `snapshot()` captures what a refused request must not change.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone

from healthpm.accounts import roles
from tests.conftest import _persona  # the personas' names, roles and known password

# The people of SPEC §1, in the column order of the expected table.
PERSONAS = (
    "anon",        # not signed in
    "owner",       # the product manager who owns every initiative below
    "collab",      # a product manager on the team (Initiative.collaborators)
    "other_pm",    # a product manager of another team
    "officer",     # a compliance officer with no stake in the initiatives
    "officer_ev",  # a compliance officer who added evidence to every initiative (decision_conflict)
    "leader",      # leadership
    "admin",       # the Django administrator (staff and superuser, no role group)
    "norole",      # signed in, no role at all
)
METHODS = ("GET", "POST")
# Initiative states a pattern taking <slug> is checked against.
TARGETS = ("draft", "review", "approved")
GATE = "auditable-inputs"
ITEM = "data-dictionary"
TABLE = "inputs"

# Outcomes: what a response means for the person who sent it.
OK = "ok"                # 2xx, or a redirect anywhere but a login page
LOGIN = "login"          # redirect to the site's or the admin's login page
FORBIDDEN = "forbidden"  # 403: may see, may not do
HIDDEN = "hidden"        # 404: may not know it exists
METHOD = "method"        # 405
BAD = "bad"              # 400: allowed, but the empty form is refused with its errors
CONFLICT = "conflict"    # 409
UNAUTH = "unauth"        # 401: the REST API asks for a bearer token (a web session is not one)
OUTCOMES = (OK, LOGIN, FORBIDDEN, HIDDEN, METHOD, BAD, CONFLICT, UNAUTH)
_BY_STATUS = {400: BAD, 401: UNAUTH, 403: FORBIDDEN, 404: HIDDEN, 405: METHOD, 409: CONFLICT}


# --- the URLconf ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Pattern:
    key: str                  # "namespace:name", or the full route of an unnamed pattern
    name: str | None          # for reverse()
    route: str                # as Django's ResolverMatch.route spells it
    pieces: tuple[str, ...]   # the route of each nesting level, for unnamed patterns
    params: tuple[str, ...]


@dataclass(frozen=True)
class Case:
    id: str                   # "gates:decide@review", "admin:auth_user_change", "home"
    pattern: Pattern
    target: str | None = None


def _join_route(a: str, b: str) -> str:
    """Concatenate routes the way django.urls.resolvers does for ResolverMatch.route."""
    return a + (b[1:] if b.startswith("^") else b)


def _walk(resolver: URLResolver, parents: tuple = (), namespace: str | None = None):
    for entry in resolver.url_patterns:
        here = (*parents, entry.pattern)
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry, here, inner)
        elif isinstance(entry, URLPattern):
            route = ""
            for pattern in here:
                route = _join_route(route, str(pattern))
            name = (f"{namespace}:{entry.name}" if namespace else entry.name) if entry.name else None
            params = tuple(p for pattern in here for p in pattern.regex.groupindex)
            yield Pattern(key=name or route, name=name, route=route, pieces=tuple(str(p) for p in here),
                          params=params)


def url_patterns() -> list[Pattern]:
    patterns = list(_walk(get_resolver()))
    keys = [p.key for p in patterns]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    assert not duplicates, f"URL names used twice, the matrix cannot tell them apart: {duplicates}"
    return patterns


def url_cases() -> list[Case]:
    cases = []
    for pattern in url_patterns():
        if "slug" in pattern.params:
            cases.extend(Case(f"{pattern.key}@{target}", pattern, target) for target in TARGETS)
        else:
            cases.append(Case(pattern.key, pattern))
    return cases


# --- the world ----------------------------------------------------------------------------
# The owner and the officer are also signed in through SSO; nothing answers at the issuer, so
# no page may need the provider (test_permission_when_signed_in_with_sso).
SSO_PERSONAS = ("owner", "officer")
SSO_ISSUER = "http://127.0.0.1:9"


@dataclass
class World:
    users: dict[str, object]
    initiatives: dict[str, object]
    evidence: dict[str, object]
    dossiers: dict[str, object]
    token: object = None                                     # an API token of the owner's
    pending: dict[str, object] = field(default_factory=dict)  # an import the owner previewed, per initiative
    sessions: dict[str, str] = field(default_factory=dict)  # persona → session key, signed in once
    sso_sessions: dict[str, str] = field(default_factory=dict)  # the same, signed in through SSO (SSO_PERSONAS)
    baseline: dict | None = None                             # snapshot() right after building
    media: Path | None = None


def build_world() -> World:
    """Everyone and everything the matrix needs, made through the real services."""
    from healthpm.accounts.models import SsoIdentity
    from healthpm.accounts.sso import SSO_SIGNED_IN_AT
    from healthpm.approvals.services import initiative_sign
    from healthpm.dossier.services import dossier_export
    from healthpm.gates.models import Evidence, Gate, GateDecision
    from healthpm.gates.services import Upload, evidence_add, gate_decide, gate_submit
    from healthpm.initiatives.services import EDITABLE_FIELDS, initiative_update
    from tests.factories import PASSWORD, InitiativeFactory, evidence_gate, gate_of, pdf_bytes

    owner = _persona("priya", "Priya", "Patel", roles.PRODUCT_MANAGER)
    collab = _persona("cole", "Cole", "Nguyen", roles.PRODUCT_MANAGER)
    other_pm = _persona("marco", "Marco", "Rossi", roles.PRODUCT_MANAGER)
    officer = _persona("grace", "Grace", "Okafor", roles.COMPLIANCE)
    # Henrik was a product manager on every team, added evidence, then moved to compliance:
    # the evidence alone ties him to the initiatives (access.decision_conflict).
    officer_ev = _persona("henrik", "Henrik", "Larsen", roles.PRODUCT_MANAGER)
    leader = _persona("lena", "Lena", "Park", roles.LEADERSHIP)
    norole = _persona("oscar", "Oscar", "Nobody")
    # Signed in with single sign-on before any provider group granted a role (the no-role page).
    SsoIdentity.objects.create(user=norole, issuer="https://login.hospital.example", subject="sub-oscar")
    admin_user = _persona("ada", "Ada", "Admin")
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save(update_fields=["is_staff", "is_superuser"])

    initiatives, evidence = {}, {}
    for target, title in (("draft", "Sepsis early warning"), ("review", "Chest X-ray triage"),
                          ("approved", "Discharge summary drafting")):
        initiative = InitiativeFactory(owner=owner, collaborators=[collab, officer_ev], title=title)
        gate = gate_of(initiative, GATE)
        evidence[target] = evidence_add(
            gate=gate, by=officer_ev, item_key=ITEM, effective_date=timezone.localdate() - timedelta(days=3),
            upload=Upload(f"{target}-lineage.pdf", pdf_bytes()))
        keys = {"draft": [], "review": [GATE], "approved": list(initiative.gates.order_by("order")
                                                              .values_list("key", flat=True))}[target]
        for key in keys:
            gate = evidence_gate(gate_of(initiative, key), owner)
            gate_submit(gate=gate, by=owner)
            if target == "approved":
                gate_decide(gate=gate, by=officer, decision=GateDecision.Decision.APPROVED)
        initiative_update(initiative=initiative, by=owner, collaborators=[collab],
                          fields={f: getattr(initiative, f) for f in EDITABLE_FIELDS})
        if target == "approved":
            initiative.refresh_from_db()
            initiative_sign(initiative=initiative, by=officer, password=PASSWORD, meaning="approved", statement="")
        initiative.refresh_from_db()
        initiatives[target] = initiative
    officer_ev.groups.set([Group.objects.get(name=roles.COMPLIANCE)])

    expected = {"draft": "draft", "review": "in_review", "approved": "approved"}
    assert {t: i.status for t, i in initiatives.items()} == expected
    assert Gate.objects.get(initiative=initiatives["review"], key=GATE).status == "submitted"
    assert all(Evidence.objects.filter(gate__initiative=i, author=officer_ev).exists() for i in initiatives.values())

    # A rendered dossier per initiative: drafts watermarked, the approved one signed.
    dossiers = {}
    for target, initiative in initiatives.items():
        dossier = dossier_export(initiative=initiative, actor_label="matrix")
        assert dossier.state == "done", dossier.error
        dossiers[target] = dossier
    assert dossiers["approved"].kind == "final"

    # A service account and an API token of the owner's, for the admin's pages and /api/tokens/<id>/revoke/.
    from healthpm.api.services import service_account_create
    from healthpm.api.tokens import token_create

    service_account_create(username="svc-registry", description="Model registry sync",
                           roles=[Group.objects.get(name=roles.COMPLIANCE)], by=admin_user)
    token, _secret = token_create(owner=owner, name="matrix", scopes=["read"], by=owner,
                                  expires_at=timezone.now() + timedelta(days=30))

    users = {"owner": owner, "collab": collab, "other_pm": other_pm, "officer": officer, "officer_ev": officer_ev,
             "leader": leader, "admin": admin_user, "norole": norole}
    world = World(users=users, initiatives=initiatives, evidence=evidence, dossiers=dossiers, token=token)
    # A spreadsheet the owner uploaded into the GATE's TABLE and has not confirmed (gates:table_import_preview).
    from healthpm.gates.context import evaluation_context
    from healthpm.gates.imports import prepare_import
    from healthpm.gates.models import PendingImport
    from healthpm.gates.services import gate_data_digest
    from healthpm.gates.tables import declared_tables

    for target, initiative in initiatives.items():
        gate = gate_of(initiative, GATE)
        table = next(t for t in declared_tables(gate.definition) if t.key == TABLE)
        data = (b"Input,Source system,Source table / field,Timestamped at source,Available at prediction time,"
                b"Contains PHI\nlactate_last_6h,LIS,LAB.LACTATE,Yes,Yes,Yes\n")
        prepared = prepare_import(gate, table, data, "inputs.csv", evaluation_context())
        assert not prepared.problems, prepared.problems
        world.pending[target] = PendingImport.objects.create(
            gate=gate, table_key=TABLE, created_by=owner, original_name="inputs.csv", sha256="0" * 64, content=data,
            rows=prepared.rows, base_digest=gate_data_digest(gate.data))
    # A webhook endpoint and one delivery in its log (never sent: the matrix has no receiver).
    from healthpm.webhooks.models import WebhookDelivery, WebhookEndpoint
    from healthpm.webhooks.services import new_secret

    endpoint = WebhookEndpoint(url="https://hooks.hospital.example/healthpm", description="Integration engine",
                               events=["gate.decided"], created_by=admin_user)
    endpoint.set_secret(new_secret())
    endpoint.full_clean()
    endpoint.save()
    WebhookDelivery.objects.create(endpoint=endpoint, event_type="webhook.test", payload={"type": "webhook.test"})
    for persona, user in users.items():
        client = Client()
        client.force_login(user)
        world.sessions[persona] = client.cookies[settings.SESSION_COOKIE_NAME].value
    # A second session for two of them as single sign-on would leave it (issuer + subject, when).
    for persona in SSO_PERSONAS:
        SsoIdentity.objects.create(user=users[persona], issuer=SSO_ISSUER, subject=f"sub-{persona}")
        client = Client()
        client.force_login(users[persona], backend="healthpm.accounts.oidc.HospitalOIDCBackend")
        session = client.session
        session[SSO_SIGNED_IN_AT] = int(time.time())
        session.save()
        world.sso_sessions[persona] = session.session_key
    # Login records through the real form (django-axes, the audit trail): a success, then a
    # failure, last, since a success resets the failures.
    Client().post(reverse("login"), {"username": "lena", "password": PASSWORD})
    Client().post(reverse("login"), {"username": "lena", "password": "not-the-password"})
    if apps.is_installed("axes"):
        from axes.models import AccessFailureLog

        if not AccessFailureLog.objects.exists():  # only kept when AXES_ENABLE_ACCESS_FAILURE_LOG is on
            AccessFailureLog.objects.create(username="lena", ip_address="127.0.0.1", user_agent="matrix",
                                            path_info=reverse("login"), locked_out=False)
    return world


# --- concrete URLs --------------------------------------------------------------------------
def _admin_model(route: str):
    match = re.match(r"admin/(?P<app>[\w]+)/(?P<model>[\w]+)/", route)
    if match is None:
        return None
    try:
        model = apps.get_model(match["app"], match["model"])
    except LookupError:
        return None
    return model if model in admin.site._registry else None


def _admin_object(world: World, model):
    preferred = {get_user_model(): world.users["owner"],
                 apps.get_model("initiatives", "Initiative"): world.initiatives["approved"]}
    obj = preferred.get(model) or model._default_manager.order_by("pk").first()
    assert obj is not None, (
        f"No {model._meta.label} exists for its admin pages: create one in tests/access/matrix.py build_world()"
    )
    return obj


def fill_params(case: Case, world: World) -> dict[str, str]:
    values = {}
    route = case.pattern.route
    for param in case.pattern.params:
        if param == "slug":
            values[param] = world.initiatives[case.target].slug
        elif param == "key":
            values[param] = GATE
        elif param == "table":  # a table the GATE's form declares (gates:table_xlsx)
            values[param] = TABLE
        elif param == "evidence_id":
            values[param] = str(world.evidence[case.target].pk)
        elif param == "pending_id":  # the import the owner previewed (only its uploader sees it)
            values[param] = str(world.pending[case.target].pk)
        elif param == "token_id":  # the owner's API token (only its owner revokes it on /api/tokens/)
            values[param] = str(world.token.pk)
        elif param == "version":
            values[param] = str(world.dossiers[case.target].version)
        elif param == "notification_id":  # an inbox entry of the owner's (a gate decided on the approved one)
            from healthpm.notifications.models import Notification

            values[param] = str(Notification.objects.filter(recipient=world.users["owner"]).order_by("pk").first().pk)
        elif param == "content_type_id":  # admin "view on site"
            values[param] = str(ContentType.objects.get_for_model(world.initiatives["approved"]).pk)
        elif param in ("object_id", "id") and route.startswith("admin/r/"):
            values[param] = str(world.initiatives["approved"].pk)
        elif param in ("object_id", "id") and _admin_model(route) is not None:
            values[param] = str(_admin_object(world, _admin_model(route)).pk)
        elif param == "app_label":
            values[param] = "auth"
        elif param == "url":  # the admin's catch-all
            values[param] = "no-such-page/"
        else:
            raise AssertionError(f"{case.id}: the matrix does not know how to fill <{param}> in {route!r}; "
                                 "teach tests/access/matrix.py fill_params() which real object it names")
    return values


def _substitute(piece: str, values: dict[str, str]) -> str:
    piece = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m[1]], piece)
    piece = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: values[m[1]], piece)
    return piece.lstrip("^").rstrip("$")


def concrete_url(case: Case, world: World) -> str:
    """The case's URL with real objects; resolving it must land on the very same pattern."""
    values = fill_params(case, world)
    if case.pattern.name:
        url = reverse(case.pattern.name, kwargs=values)
    else:
        url = "/" + "".join(_substitute(piece, values) for piece in case.pattern.pieces)
    match = resolve(urlsplit(url).path)
    assert match.route == case.pattern.route, f"{case.id}: {url} resolves to {match.route!r}, not {case.pattern.route!r}"
    return url


# --- outcomes -------------------------------------------------------------------------------
def login_paths() -> set[str]:
    return {resolve_url(settings.LOGIN_URL), reverse("admin:login")}


def classify(response) -> str:
    """2xx and redirects elsewhere than a login page are success; 5xx is never an outcome."""
    code = response.status_code
    assert code < 500, f"server error {code}"
    if 200 <= code < 300:
        return OK
    if 300 <= code < 400:
        return LOGIN if urlsplit(response["Location"]).path in login_paths() else OK
    return _BY_STATUS.get(code, f"status {code}")


_WRITE = re.compile(r'^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+[`"]?(\w+)', re.IGNORECASE)
# Sessions change on every signed-in request (idle-logout stamp) and on logout: not data.
_NOT_DATA = {"django_session"}


def writes(queries) -> list[str]:
    """The SQL statements among captured queries that changed a table other than sessions."""
    found = []
    for query in queries:
        match = _WRITE.match(query["sql"])
        if match and match[2].lower() not in _NOT_DATA:
            found.append(query["sql"][:200])
    return found


def snapshot() -> dict:
    """Everything a refused request must leave untouched, across the whole database."""
    from django.contrib.admin.models import LogEntry

    from healthpm.approvals.models import Signature
    from healthpm.audit.models import AuditEvent
    from healthpm.collaboration.models import Comment
    from healthpm.dossier.models import Dossier
    from healthpm.gates.models import Evidence, Gate, GateDecision, ProxyVariable, SourceSystem
    from healthpm.initiatives.models import Initiative
    from healthpm.notifications.models import Notification

    User = get_user_model()

    def rows(model, *fields):
        return list(model._default_manager.order_by("pk").values_list("pk", *fields))

    return {
        "initiatives": rows(Initiative, "status", "title", "owner_id", "updated_at"),
        "teams": sorted(Initiative.collaborators.through.objects.values_list("initiative_id", "user_id")),
        "gates": rows(Gate, "status", "data", "submitted_by_id", "assignee_id", "requested_reviewer_id", "updated_at"),
        "comments": rows(Comment, "superseded_at"),
        "evidence": rows(Evidence, "superseded_at"),
        "decisions": rows(GateDecision, "voided_at"),
        "signatures": rows(Signature, "voided_at"),
        "dossiers": rows(Dossier, "state"),
        "users": rows(User, "username", "password", "is_active", "is_staff", "is_superuser"),
        "roles": sorted(User.groups.through.objects.values_list("user_id", "group_id")),
        "groups": rows(Group, "name"),
        "source_systems": rows(SourceSystem),
        "proxy_variables": rows(ProxyVariable),
        "audit_events": AuditEvent.objects.count(),
        "notifications": rows(Notification, "read_at"),
        "admin_log": LogEntry.objects.count(),
    }
