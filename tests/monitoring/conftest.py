from datetime import date, timedelta

import pytest
from django.utils import timezone

from healthpm.monitoring.services import metric_sample_record
from tests.factories import signed_initiative


@pytest.fixture
def launched(pm, compliance):
    """A v2 initiative, every gate approved from its example answers and launch signed.

    Its monitoring plan (the gate's example): alert volume daily, pauses above 60; PPV weekly,
    pauses below 0.10; override rate weekly, no threshold; every metric owned by priya (pm).
    Its false-positive cost (the gate's example): 10 alerts/day at PPV 0.5, 5 min at $60/h,
    30 days → 5 false alerts × 5 min × 30 = 750 min = $750 a month.
    """
    return signed_initiative(pm, compliance, checklist_version=2, title="Sepsis watch, ward 5")


@pytest.fixture
def record(launched, pm):
    """record(metric, value, day=…, **kw): one sample of `launched` for one day, by its owner."""

    def _record(metric: str, value, *, day: date | None = None, by=None, initiative=None, **kw):
        day = day or timezone.localdate() - timedelta(days=1)
        kw.setdefault("source", "api")
        return metric_sample_record(initiative=initiative or launched, by=by or pm, metric=metric,
                                    period_start=kw.pop("period_start", day), period_end=day, value=value, **kw)

    return _record
