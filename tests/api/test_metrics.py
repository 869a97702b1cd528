"""Live monitoring by API: a data team's service account pushes daily alert volumes; the day that
crosses the plan's pause threshold pauses the initiative and re-opens the gates that own the facts."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from healthpm.accounts import roles
from healthpm.api.models import Scope
from healthpm.api.services import service_account_create
from healthpm.gates.models import Gate, GateStatus
from healthpm.monitoring.models import MetricSample
from tests.api.conftest import assert_problem
from tests.factories import UserFactory, signed_initiative

pytestmark = pytest.mark.django_db


@pytest.fixture
def launched(pm, compliance):
    # The v2 examples: alert volume daily, pause above 60; at PPV 0.5, 5 min at $60/h the cost
    # passes the $5,000 threshold from 67 alerts a day (tests/monitoring/conftest.py).
    return signed_initiative(pm, compliance, checklist_version=2, title="Sepsis watch, ward 5")


@pytest.fixture
def data_job(api):
    """The data team's job: a service account that reads the portfolio (leadership) and may record
    samples (monitoring.record_metrics), with a read + metrics:write token."""
    admin = UserFactory(username="it-admin", is_staff=True, is_superuser=True)
    leadership = Group.objects.get_or_create(name=roles.LEADERSHIP)[0]
    job = service_account_create(username="svc-sepsis-job", description="Nightly alert counts",
                                 roles=[leadership], by=admin).user
    job.user_permissions.add(Permission.objects.get(codename="record_metrics"))
    return api(job, scopes=[Scope.METRICS_WRITE, Scope.READ])


def week(start_days_ago=7):
    today = timezone.localdate()
    return [today - timedelta(days=start_days_ago - n) for n in range(7)]


def test_a_week_of_alert_volumes_where_day_6_crosses_pauses_and_reopens_review(launched, data_job):
    url = f"/api/v1/initiatives/{launched.slug}/metrics/"
    volumes = [40, 42, 38, 45, 44, 72, 50]
    answers = []
    for day, volume in zip(week(), volumes):
        response = data_job.post(url, {"metric": "alert_volume", "period_start": day.isoformat(),
                                       "period_end": day.isoformat(), "value": str(volume)},
                                 content_type="application/json", headers={"Idempotency-Key": f"job:{day}"})
        assert response.status_code == 201, response.content
        answers.append(response.json())

    assert [bool(a["breaches"]) for a in answers] == [False] * 5 + [True, False]
    day6 = answers[5]
    assert day6["initiative_paused"] is True
    kinds = {(b["kind"], b["gate"]) for b in day6["breaches"]}
    assert ("pause_threshold", "monitoring-plan") in kinds and ("fp_cost", "false-positive-cost") in kinds
    launched.refresh_from_db()
    assert launched.is_paused
    for key in ("monitoring-plan", "false-positive-cost"):
        gate = Gate.objects.get(initiative=launched, key=key)
        assert gate.status == GateStatus.SUBMITTED  # back in compliance's queue

    # The job's retry of day 6 with the same key stores nothing new and answers the same.
    day = week()[5]
    again = data_job.post(url, {"metric": "alert_volume", "period_start": day.isoformat(),
                                "period_end": day.isoformat(), "value": "72"},
                          content_type="application/json", headers={"Idempotency-Key": f"job:{day}"})
    assert again.status_code == 201 and again.json()["id"] == day6["id"]
    assert MetricSample.objects.filter(initiative=launched).count() == 7

    listed = data_job.get(url + "?metric=alert_volume").json()
    assert [s["value"] for s in listed][:2] == ["50.000000", "72.000000"]


def test_a_bad_sample_names_the_field_and_stores_nothing(launched, data_job):
    url = f"/api/v1/initiatives/{launched.slug}/metrics/"
    body = assert_problem(data_job.post(url, {"metric": "bed_occupancy", "period_start": "2026-11-02",
                                              "period_end": "2026-11-02", "value": "3"},
                                        content_type="application/json"), 400)
    assert body["errors"][0]["field"] == "metric"
    assert not MetricSample.objects.exists()


def test_a_database_failure_answers_problem_json_503_and_stores_nothing(launched, data_job):
    from tests.core.test_faults import database_fails

    day = timezone.localdate().isoformat()
    with database_fails("insert into monitoring_metricsample") as failed:
        response = data_job.post(f"/api/v1/initiatives/{launched.slug}/metrics/",
                                 {"metric": "alert_volume", "period_start": day, "period_end": day, "value": "20"},
                                 content_type="application/json")
    assert failed
    body = assert_problem(response, 503)
    assert "Nothing was saved" in body["detail"] and response["Retry-After"] == "30"
    assert not MetricSample.objects.exists()
