from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import render

from healthpm import access
from healthpm.gates import registry
from healthpm.initiatives.models import Initiative, Status


@login_required
def portfolio(request):
    """Counts by status and the initiative × gate grid (SPEC §7)."""
    access.require_dashboard(request.user)
    initiatives = Initiative.objects.visible_to(request.user)
    counts = dict(initiatives.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    page = Paginator(
        initiatives.select_related("owner").prefetch_related("gates").order_by("title"), 50
    ).get_page(request.GET.get("page"))
    columns = registry.gates_for(registry.CURRENT_VERSION)
    grid = []
    for initiative in page:
        by_key = {g.key: g for g in initiative.gates.all()}
        grid.append((initiative, [by_key.get(d.key) for d in columns]))
    return render(request, "dashboard/portfolio.html", {
        "status_counts": [(value, label, counts.get(value, 0)) for value, label in Status.choices],
        "total": sum(counts.values()),
        "columns": columns,
        "grid": grid,
        "page": page,
    })
