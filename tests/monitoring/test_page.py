"""The Monitoring page: who sees it, the charts, the breach history and the CSV upload (issue 16 item 5)."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from healthpm.audit.models import AuditEvent
from healthpm.monitoring.models import Breach, MetricSample
from tests.factories import InitiativeFactory, db_state

pytestmark = pytest.mark.django_db


def url(initiative) -> str:
    return reverse("monitoring:page", args=[initiative.slug])


def csv_file(text: str, name: str = "samples.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def _days(n: int) -> str:
    return (timezone.localdate() - timezone.timedelta(days=n)).isoformat()


@pytest.mark.parametrize("who", ["pm", "pm2", "compliance", "leader"])
def test_whoever_sees_the_initiative_sees_its_monitoring(launched, record, login, request, who):
    record("alert_volume", "20")
    record("alert_volume", "61")
    response = login(request.getfixturevalue(who)).get(url(launched))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Paused — review required." in page
    assert "Alert volume per day over time" in page  # the chart's title
    assert "pause above 60 alerts/day" in page  # the threshold line's label
    assert 'class="marker breached"' in page and "past the threshold" in page  # shape and words, not colour
    assert "Pause threshold crossed" in page  # the breach history
    assert "paper fallback: the downtime procedure owned by Nurse manager, 5 West" in page
    # Only those who may record samples are offered the upload.
    assert ("Upload samples" in page) is (who in ("pm", "compliance"))


def test_an_outsider_is_not_told_the_page_exists(launched, login, outsider):
    assert login(outsider).get(url(launched)).status_code == 404


def test_the_overview_links_to_monitoring_once_launched(launched, login, pm):
    page = login(pm).get(launched.get_absolute_url()).content.decode()
    assert f'href="{url(launched)}"' in page
    draft = InitiativeFactory(owner=pm, checklist_version=2)
    assert url(draft) not in login(pm).get(draft.get_absolute_url()).content.decode()


def test_a_csv_upload_records_every_row(launched, login, pm):
    body = ("metric,period_start,period_end,value,subgroup\n"
            f"alert_volume,{_days(2)},{_days(2)},21,\n"
            f"alert_volume,{_days(1)},{_days(1)},23,\n"
            f"ppv,{_days(7)},{_days(1)},0.31,age 75+\n")
    response = login(pm).post(url(launched), {"file": csv_file(body)}, follow=True)

    assert response.status_code == 200
    assert "3 sample(s) recorded from “samples.csv”." in response.content.decode()
    assert list(MetricSample.objects.order_by("pk").values_list("metric", "value", "subgroup", "source")) == [
        ("alert_volume", 21, "", "csv"), ("alert_volume", 23, "", "csv"), ("ppv", Decimal("0.31"), "age 75+", "csv")]


def test_a_csv_with_a_bad_row_changes_nothing_and_names_row_and_column(launched, login, pm):
    body = ("metric,period_start,period_end,value,subgroup\n"
            f"alert_volume,{_days(2)},{_days(2)},21,\n"
            f"alert_volume,{_days(1)},{_days(1)},lots,\n"
            f"heart_rate,{_days(1)},{_days(1)},80,\n"
            f"alert_volume,{_days(1)},{_days(2)},61,\n")
    client = login(pm)
    before = db_state(launched)
    response = client.post(url(launched), {"file": csv_file(body)})

    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was stored." in page
    assert "Row 3, column value: “lots” is not a number." in page
    assert "Row 4, column metric: “heart_rate” is not a metric of the approved monitoring plan" in page
    assert f"Row 5, column period_end: {_days(2)} is before period_start {_days(1)}" in page
    assert not MetricSample.objects.exists() and not Breach.objects.exists()
    assert db_state(launched) == before
    assert not AuditEvent.objects.filter(action="metric_sample_recorded").exists()


def test_a_file_that_is_not_a_spreadsheet_is_refused(launched, login, pm):
    response = login(pm).post(url(launched), {"file": csv_file("%PDF-1.4", name="samples.pdf")})
    assert response.status_code == 400
    assert "neither an Excel workbook (.xlsx) nor a CSV file" in response.content.decode()
    assert not MetricSample.objects.exists()


def test_a_breaching_upload_pauses_and_says_so(launched, login, pm):
    body = f"metric,period_start,period_end,value\nalert_volume,{_days(1)},{_days(1)},64\n"
    response = login(pm).post(url(launched), {"file": csv_file(body)}, follow=True)

    assert "the initiative is paused — review required" in response.content.decode()
    launched.refresh_from_db()
    assert launched.is_paused


@pytest.mark.parametrize("who", ["pm2", "leader"])
def test_who_may_not_record_cannot_upload(launched, login, request, who):
    body = f"metric,period_start,period_end,value\nalert_volume,{_days(1)},{_days(1)},20\n"
    response = login(request.getfixturevalue(who)).post(url(launched), {"file": csv_file(body)})
    assert response.status_code == 403
    assert not MetricSample.objects.exists()


def test_an_unlaunched_initiative_has_nothing_to_monitor(pm, login):
    draft = InitiativeFactory(owner=pm, checklist_version=2)
    response = login(pm).get(url(draft))
    assert response.status_code == 200
    assert "there is nothing to monitor" in response.content.decode()


def test_the_dashboard_counts_healthy_breached_and_stale(launched, record, pm, compliance, leader, login):
    from tests.factories import signed_initiative

    record("alert_volume", "20", day=timezone.localdate())
    record("ppv", "0.3", day=timezone.localdate())
    record("override_rate", "30", day=timezone.localdate())
    paused = signed_initiative(pm, compliance, checklist_version=2, title="Sepsis watch, ward 7")
    record("alert_volume", "70", initiative=paused)
    stale = signed_initiative(pm, compliance, checklist_version=2, title="Sepsis watch, ward 9")
    from healthpm.approvals.models import Signature
    Signature.objects.filter(initiative=stale).update(signed_at=timezone.now() - timezone.timedelta(days=3))

    page = login(leader).get(reverse("dashboard:portfolio")).content.decode()
    assert '<li class="list-inline-item me-4" id="post-launch-healthy">✔ <strong>1</strong> healthy</li>' in page
    assert 'id="post-launch-breach">▲ <strong>1</strong> paused — breach' in page
    assert 'id="post-launch-stale">◷ <strong>1</strong> stale' in page
    assert f'<a href="{url(paused)}">Sepsis watch, ward 7</a>' in page
    assert f'<a href="{url(stale)}">Sepsis watch, ward 9</a>: Alert volume per day' in page


def test_the_post_launch_panel_asks_a_fixed_number_of_queries(launched, record, pm, compliance):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from healthpm.initiatives.models import Initiative
    from healthpm.monitoring.status import post_launch_summary
    from tests.factories import signed_initiative

    def asked() -> int:
        with CaptureQueriesContext(connection) as captured:
            post_launch_summary(Initiative.objects.all(), today=timezone.localdate())
        return len(captured)

    record("alert_volume", "20")
    one = asked()
    record("alert_volume", "61", initiative=signed_initiative(pm, compliance, checklist_version=2, title="Ward 7"))
    assert asked() == one == 4
    with CaptureQueriesContext(connection) as captured:
        post_launch_summary(Initiative.objects.all(), today=timezone.localdate(), launched=0)
    assert len(captured) == 0


def test_uploading_the_same_file_twice_stores_its_samples_once(launched, login, pm):
    body = f"metric,period_start,period_end,value\nalert_volume,{_days(1)},{_days(1)},20\n"
    client = login(pm)
    client.post(url(launched), {"file": csv_file(body)})
    response = client.post(url(launched), {"file": csv_file(body)}, follow=True)

    assert "0 sample(s) recorded" in response.content.decode()
    assert "1 row(s) were already recorded" in response.content.decode()
    assert MetricSample.objects.count() == 1
