"""The Monitoring page of a launched initiative: each metric over time against its threshold,
the breach history and a CSV upload of samples (issue 16)."""

from collections import defaultdict
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from healthpm import access
from healthpm.core.errors import WorkflowError
from healthpm.lib.monitoring import plain
from healthpm.lib.spreadsheet import Refused

from .charts import line_chart
from .forms import SampleUploadForm
from .imports import COLUMNS, read_samples
from .models import Breach, MetricSample
from .plan import approved_plan, downtime_procedure, is_launched
from .services import SampleRefused, metric_samples_import
from .status import CADENCE_DAYS, metric_states

# The chart shows this much history; the API keeps every sample.
CHART_DAYS = 180


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def monitoring_page(request, slug):
    initiative = access.get_initiative_for(request.user, slug)
    plan = approved_plan(initiative)
    form, problems, status = SampleUploadForm(), [], 200
    if request.method == "POST":
        access.require_record_metrics(request.user, initiative, owners=plan.owners if plan else ())
        form = SampleUploadForm(request.POST, request.FILES)
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                if plan is None or not is_launched(initiative):
                    raise WorkflowError(f"“{initiative.title}” has no launched, approved monitoring plan: samples are "
                                        "recorded once the launch decision is signed.")
                read = read_samples(plan, upload.read(), upload.name)
                if read.problems:
                    problems = read.problems
                    messages.error(request, f"Nothing was stored: {len(problems)} problem(s) in “{upload.name}”. "
                                            "Fix them and upload the whole file again.")
                else:
                    before = MetricSample.objects.filter(initiative=initiative).count()
                    samples = metric_samples_import(initiative=initiative, by=request.user, rows=read.rows)
                    new = MetricSample.objects.filter(initiative=initiative).count() - before
                    paused = Breach.objects.filter(sample__in=samples).exists()
                    messages.success(request, f"{new} sample(s) recorded from “{upload.name}”."
                                     + (f" {len(samples) - new} row(s) were already recorded by an earlier upload "
                                        "and were skipped." if len(samples) > new else "")
                                     + (" A value crossed the plan: the initiative is paused — review required."
                                        if paused else ""))
                    return redirect("monitoring:page", slug=initiative.slug)
            except Refused as exc:
                form.add_error("file", str(exc))
            except SampleRefused as exc:
                problems = [str(exc)]
                messages.error(request, "Nothing was stored.")
            except WorkflowError as exc:
                messages.error(request, exc.message)
                status = 409
    return render(request, "monitoring/page.html", _context(request.user, initiative, plan, form, problems),
                  status=status)


def _context(user, initiative, plan, form, problems) -> dict:
    today = timezone.localdate()
    metrics = []
    if plan is not None:
        series = defaultdict(list)
        subgroups = defaultdict(set)
        recent = (MetricSample.objects.filter(initiative=initiative, period_end__gte=today - timedelta(days=CHART_DAYS))
                  .order_by("period_end", "id").values_list("metric", "period_end", "value", "subgroup"))
        for metric, end, value, subgroup in recent:
            if subgroup:
                subgroups[metric].add(subgroup)
            else:
                series[metric].append((end, value))
        open_metrics = set(Breach.objects.filter(initiative=initiative, cleared_at__isnull=True)
                           .values_list("metric", flat=True))
        for i, state in enumerate(metric_states(initiative, plan.metrics, today=today)):
            watched = state.metric
            metrics.append({
                "state": state, "metric": watched, "every": CADENCE_DAYS.get(watched.cadence),
                "breached": watched.key in open_metrics,
                "chart": line_chart(f"metric-{i}", f"{watched.name} over time", series[watched.key],
                                    watched.threshold, watched.unit),
                "latest": [(end, plain(value)) for end, value in series[watched.key][-5:][::-1]],
                "subgroups": sorted(subgroups[watched.key]),
            })
    breaches = Breach.objects.filter(initiative=initiative).select_related("sample", "gate", "cleared_by")
    return {
        "initiative": initiative,
        "plan": plan,
        "launched": is_launched(initiative),
        "metrics": metrics,
        "breaches": breaches,
        "fallback": downtime_procedure(initiative) if initiative.is_paused else "",
        "form": form,
        "problems": problems,
        "columns": [c.key for c in COLUMNS],
        "can_upload": plan is not None and is_launched(initiative)
        and access.can_record_metrics(user, initiative, owners=plan.owners),
        "can_decide": access.can_decide(user, initiative),
    }
