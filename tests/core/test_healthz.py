"""/healthz answers what a load balancer needs: the database, and the broker when configured (SPEC §10)."""

import pytest
from django.db import connection

from healthpm.core import views


@pytest.mark.django_db
def test_healthz_reports_the_database_without_login(client, settings):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok"
    if settings.CELERY_BROKER_URL:
        assert body["broker"] == "ok"
    else:
        assert body["broker"].startswith("not configured")
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_reports_a_broker_outage_but_keeps_serving(client, settings, monkeypatch):
    """Saves and decisions work without the broker, so a load balancer must not drop the node."""
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"

    def unreachable():
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(views, "_broker_ok", unreachable)

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": "ok", "broker": "error: ConnectionRefusedError"}


@pytest.mark.django_db
def test_healthz_is_503_when_the_database_fails(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise RuntimeError("database unavailable")

    monkeypatch.setattr(connection, "cursor", broken_cursor)

    response = client.get("/healthz")

    assert response.status_code == 503 and response.json()["database"] == "error: RuntimeError"
