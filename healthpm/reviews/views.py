from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_safe

from healthpm import access

from .forms import QueueFilterForm
from .queue import review_queue


@login_required
@require_safe
def queue(request):
    """The compliance officer's review queue: what they may decide, oldest first, and apart
    what separation of duties bars them from, with the reason."""
    access.require_review_queue(request.user)
    form = QueueFilterForm(request.GET or None)
    reviews = review_queue(request.user, **form.filters)
    return render(request, "reviews/queue.html", {
        "form": form,
        "queue": reviews,
        "sla_days": settings.HEALTHPM_REVIEW_SLA_WORKING_DAYS,
        "filtered": any(form.filters.values()),
    })
