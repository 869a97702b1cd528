"""schemathesis against the live OpenAPI schema: every operation, with a valid token, never
answers 5xx and always answers what the schema says (status, content type, body)."""

import pytest
import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance
from hypothesis import HealthCheck, given, settings as hypothesis_settings

from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from healthpm.dossier.services import dossier_export
from healthpm.wsgi import application
from healthpm.api.models import Scope
from tests.factories import InitiativeFactory, approved_gate, signed_initiative

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture
def world(pm, compliance, make_token, settings, tmp_path):
    settings.HEALTHPM_API_RATE_PER_MINUTE = 10_000  # the fuzzer sends hundreds of requests a minute
    settings.HEALTHPM_VERIFY_PER_MINUTE = 10_000  # and POSTs to the dossier verify as often
    initiative = InitiativeFactory(owner=pm, title="Sepsis early warning")
    approved_gate(initiative, pm, compliance, "auditable-inputs")
    dossier = dossier_export(initiative=initiative, actor_label="test")
    assert dossier.state == "done", dossier.error
    return {"slug": initiative.slug, "key": "auditable-inputs", "version": dossier.version,
            "token": make_token(compliance)}


@pytest.fixture
def _keep_the_test_connection():
    """The WSGI handler closes the database connection around each request, which would end the
    test's transaction; Django's own test client unhooks the same signals while it runs."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


def operations_of(world, method: str) -> list:
    headers = {"Authorization": f"Bearer {world['token']}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application, headers=headers)
    return [result.ok() for result in schema.include(method=method).get_all_operations()]


def run_each(operations, world, **checks) -> None:
    """Each operation in turn, a few generated requests each, with the world's token. (schemathesis'
    pytest plugin for a schema from a fixture does not run on pytest 9, so hypothesis drives them.)"""
    headers = {"Authorization": f"Bearer {world['token']}"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @hypothesis_settings(max_examples=15, deadline=None, derandomize=True, database=None,
                             suppress_health_check=list(HealthCheck))
        def check(case):
            # Real objects in the path, so the requests reach the bodies (unknown ones are 404s, tested elsewhere).
            for name in ("slug", "key", "version"):
                if case.path_parameters and name in case.path_parameters:
                    case.path_parameters[name] = world[name]
            case.call_and_validate(headers=headers, **checks)

        check()


def test_every_get_operation_conforms_to_the_schema(world, _keep_the_test_connection):
    operations = operations_of(world, "GET")
    assert {op.path for op in operations} >= {"/api/v1/initiatives/", "/api/v1/initiatives/{slug}/gates/{key}/",
                                             "/api/v1/initiatives/{slug}/dossiers/{version}/download/"}
    run_each(operations, world)


@pytest.fixture
def launched_world(pm, compliance, make_token, settings):
    settings.HEALTHPM_API_RATE_PER_MINUTE = 10_000
    settings.HEALTHPM_VERIFY_PER_MINUTE = 10_000
    initiative = signed_initiative(pm, compliance, checklist_version=2, title="Sepsis watch, ward 5")
    scopes = [Scope.READ, Scope.EVIDENCE_WRITE, Scope.METRICS_WRITE]
    return {"slug": initiative.slug, "key": "auditable-inputs", "token": make_token(pm, scopes=scopes)}


def test_every_post_operation_conforms_to_the_schema(launched_world, _keep_the_test_connection):
    """The writes too (samples of a launched initiative, evidence on its locked gates, a dossier to
    verify), as its owner with every scope: whatever the generated body, never a 5xx, always a declared answer."""
    operations = operations_of(launched_world, "POST")
    assert {op.path for op in operations} == {"/api/v1/initiatives/{slug}/metrics/",
                                             "/api/v1/initiatives/{slug}/gates/{key}/evidence/",
                                             "/api/v1/dossiers/verify/"}
    # Not "schema-valid data is accepted": a write is also judged against the gate's own items
    # and the plan's metrics, which no static schema can list (400 names the field).
    run_each(operations, launched_world, excluded_checks=[positive_data_acceptance])
