"""The API's own permission matrix: every endpoint × persona × token scope, against a table.

The web matrix (tests/access/) shows a session never reaches the API (401); this one shows what a
token reaches. Initiative: a draft owned by `pm`, with a rendered dossier. Scopes: `read`,
`write` (evidence:write alone) and `both`. Outcomes: ok (2xx), forbidden (403), hidden (404),
bad (400: the empty upload is refused with its fields named).
"""

import pytest

from healthpm.api.models import Scope
from healthpm.dossier.services import dossier_export
from healthpm.gates.models import Evidence

SCOPES = {"read": [Scope.READ], "write": [Scope.EVIDENCE_WRITE], "both": [Scope.READ, Scope.EVIDENCE_WRITE],
          "metrics": [Scope.METRICS_WRITE]}
PERSONAS = ("pm", "pm2", "compliance", "leader", "outsider")
ENDPOINTS = {
    "list": ("GET", "/api/v1/initiatives/"),
    "initiative": ("GET", "/api/v1/initiatives/{slug}/"),
    "gate": ("GET", "/api/v1/initiatives/{slug}/gates/auditable-inputs/"),
    "dossiers": ("GET", "/api/v1/initiatives/{slug}/dossiers/"),
    "download": ("GET", "/api/v1/initiatives/{slug}/dossiers/1/download/"),
    "evidence": ("POST", "/api/v1/initiatives/{slug}/gates/auditable-inputs/evidence/"),
    "samples": ("GET", "/api/v1/initiatives/{slug}/metrics/"),
    "record": ("POST", "/api/v1/initiatives/{slug}/metrics/"),
    "verify": ("POST", "/api/v1/dossiers/verify/"),
}
# Scope before visibility: a token without the scope is refused before anything is looked up.
EXPECTED = """
endpoint   scope  pm         pm2        compliance leader     outsider
list       read   ok         ok         ok         ok         ok
list       write  forbidden  forbidden  forbidden  forbidden  forbidden
list       both   ok         ok         ok         ok         ok
list       metrics forbidden  forbidden  forbidden  forbidden  forbidden
initiative read   ok         hidden     ok         ok         hidden
initiative write  forbidden  forbidden  forbidden  forbidden  forbidden
initiative both   ok         hidden     ok         ok         hidden
initiative metrics forbidden  forbidden  forbidden  forbidden  forbidden
gate       read   ok         hidden     ok         ok         hidden
gate       write  forbidden  forbidden  forbidden  forbidden  forbidden
gate       both   ok         hidden     ok         ok         hidden
gate       metrics forbidden  forbidden  forbidden  forbidden  forbidden
dossiers   read   ok         hidden     ok         ok         hidden
dossiers   write  forbidden  forbidden  forbidden  forbidden  forbidden
dossiers   both   ok         hidden     ok         ok         hidden
dossiers   metrics forbidden  forbidden  forbidden  forbidden  forbidden
download   read   ok         hidden     ok         ok         hidden
download   write  forbidden  forbidden  forbidden  forbidden  forbidden
download   both   ok         hidden     ok         ok         hidden
download   metrics forbidden  forbidden  forbidden  forbidden  forbidden
evidence   read   forbidden  forbidden  forbidden  forbidden  forbidden
evidence   write  bad        hidden     forbidden  forbidden  hidden
evidence   both   bad        hidden     forbidden  forbidden  hidden
evidence   metrics forbidden  forbidden  forbidden  forbidden  forbidden
samples    read   ok         hidden     ok         ok         hidden
samples    write  forbidden  forbidden  forbidden  forbidden  forbidden
samples    both   ok         hidden     ok         ok         hidden
samples    metrics forbidden  forbidden  forbidden  forbidden  forbidden
record     read   forbidden  forbidden  forbidden  forbidden  forbidden
record     write  forbidden  forbidden  forbidden  forbidden  forbidden
record     both   forbidden  forbidden  forbidden  forbidden  forbidden
# The team and compliance may send samples: the empty one is refused with its fields named.
record     metrics bad        hidden     bad        forbidden  hidden
# Anyone with a read token may verify a dossier (as anyone signed in on the web): the empty post lacks its file.
verify     read   bad        bad        bad        bad        bad
verify     write  forbidden  forbidden  forbidden  forbidden  forbidden
verify     both   bad        bad        bad        bad        bad
verify     metrics forbidden  forbidden  forbidden  forbidden  forbidden
"""
OUTCOME = {200: "ok", 201: "ok", 400: "bad", 403: "forbidden", 404: "hidden"}


def _table():
    lines = [line.split() for line in EXPECTED.strip().splitlines() if not line.startswith("#")]
    header, rows = lines[0], lines[1:]
    assert tuple(header[2:]) == PERSONAS
    return {(row[0], row[1], persona): outcome for row in rows for persona, outcome in zip(PERSONAS, row[2:])}


TABLE = _table()


def test_the_table_covers_every_api_endpoint():
    from django.urls import get_resolver

    api = [p for p in get_resolver().url_patterns if str(p.pattern) == "api/v1/"][0]
    names = {p.name for p in api.url_patterns} - {"schema", "docs"}
    assert len(names) == len({path for _method, path in ENDPOINTS.values()})  # one URL, GET and POST
    assert {(e, s) for e, s, _p in TABLE} == {(e, s) for e in ENDPOINTS for s in SCOPES}


@pytest.mark.parametrize("scope", list(SCOPES))
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_api_permission(endpoint, scope, request, api, pm, pm2, compliance, leader, outsider, initiative):
    if endpoint in ("dossiers", "download"):  # rendering a PDF takes a second: only where it is read
        dossier_export(initiative=initiative, actor_label="test")
    method, path = ENDPOINTS[endpoint]
    url = path.format(slug=initiative.slug)
    got = {}
    for persona in PERSONAS:
        client = api(request.getfixturevalue(persona), scopes=SCOPES[scope])
        response = client.get(url) if method == "GET" else client.post(url, {})
        if response.streaming:
            b"".join(response.streaming_content)
        got[persona] = OUTCOME.get(response.status_code, str(response.status_code))
        if got[persona] != "ok":
            assert response["Content-Type"] == "application/problem+json"
    assert got == {p: TABLE[endpoint, scope, p] for p in PERSONAS}
    assert not Evidence.objects.exists()  # no empty upload was stored for anyone
