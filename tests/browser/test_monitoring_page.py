"""The Monitoring page in Chromium under the real Content-Security-Policy: axe clean, no CSP
violation, a CSV upload whose bad row is named and stores nothing (issue 16)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from healthpm.monitoring.models import MetricSample
from healthpm.monitoring.services import metric_sample_record
from tests.factories import signed_initiative

from .test_accessibility import describe, run_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _paused_with_history(pm, compliance):
    """A launched v2 initiative with two weeks of alert volumes, the last one past the threshold."""
    initiative = signed_initiative(pm, compliance, checklist_version=2, title="Sepsis watch, ward 5")
    today = timezone.localdate()
    for ago, value in enumerate([20, 24, 22, 19, 30, 28, 25, 23, 21, 26, 27, 22, 24, 61][::-1], start=1):
        day = today - timedelta(days=ago)
        metric_sample_record(initiative=initiative, by=pm, metric="alert_volume", period_start=day, period_end=day,
                             value=value, source="api")
    metric_sample_record(initiative=initiative, by=pm, metric="ppv", period_start=today - timedelta(days=7),
                         period_end=today - timedelta(days=1), value="0.3", source="api")
    return initiative


@pytest.mark.parametrize("who", ["pm", "leader"])
def test_the_monitoring_page_is_accessible_and_within_the_policy(who, browse, shoot, axe_source, pm, compliance,
                                                                 leader):
    initiative = _paused_with_history(pm, compliance)
    path = f"/initiatives/{initiative.slug}/monitoring/"
    page = browse.sign_in({"pm": pm, "leader": leader}[who])
    response = page.goto(browse.url(path))
    assert response.status == 200
    assert page.locator("svg.hp-line-chart").count() == 3  # alert volume, PPV, override rate
    assert page.get_by_text("Paused — review required.").first.is_visible()

    failing = run_axe(page, browse, shoot, f"monitoring ({who})", path)
    assert not failing, describe(f"monitoring ({who})", path, failing)
    browse.assert_clean()


def test_a_csv_with_a_bad_row_is_refused_in_the_browser(browse, pm, compliance):
    initiative = _paused_with_history(pm, compliance)
    before = MetricSample.objects.count()
    day = (timezone.localdate() - timedelta(days=1)).isoformat()
    page = browse.sign_in(pm)
    page.goto(browse.url(f"/initiatives/{initiative.slug}/monitoring/"))
    page.set_input_files("input[type='file']", files=[{
        "name": "week.csv", "mimeType": "text/csv",
        "buffer": f"metric,period_start,period_end,value\nalert_volume,{day},{day},20\nppv,{day},{day},high\n".encode()}])
    page.click("button:has-text('Upload and check')")
    page.wait_for_selector("text=Row 3, column value")

    assert MetricSample.objects.count() == before
    browse.assert_clean()
