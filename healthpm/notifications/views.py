"""The in-app inbox (issue 13): every e-mail the outbox holds for the signed-in user, newest first.

Only the recipient sees an entry: another user's entry answers 404, like any object a user
may not see (SPEC §1).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from .models import Notification

PAGE_SIZE = 30


@login_required
@require_safe
def inbox(request):
    entries = Notification.objects.filter(recipient=request.user).only(
        "pk", "subject", "created_at", "link", "read_at", "recipient_id").order_by("-created_at", "-pk")
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"page": page})


@login_required
@require_POST
def mark_read(request, notification_id: int):
    """Mark one entry read; with `open`, go on to what it is about."""
    note = get_object_or_404(Notification, pk=notification_id, recipient=request.user)
    if note.read_at is None:
        Notification.objects.filter(pk=note.pk, read_at__isnull=True).update(read_at=timezone.now())
    if "open" in request.POST and note.link and url_has_allowed_host_and_scheme(note.link, allowed_hosts=None):
        return redirect(note.link)
    return redirect("notifications:inbox")


@login_required
@require_POST
def mark_all_read(request):
    count = Notification.objects.filter(recipient=request.user, read_at__isnull=True).update(read_at=timezone.now())
    messages.success(request, f"{count} message{'s' if count != 1 else ''} marked read.")
    return redirect("notifications:inbox")
