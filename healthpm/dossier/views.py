from datetime import timedelta
from io import BytesIO

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from healthpm import access
from healthpm.core.downloads import attachment

from . import model_card, signing
from .forms import VerifyForm
from .models import Dossier
from .verify_limits import too_many_message, verify_wait
from .services import (dossier_request, dossier_verify, model_card_of, record_download, record_model_card_download,
                       record_verification)


@login_required
def dossier_page(request, slug):
    """GET lists the versions (a fragment for the htmx poll); POST queues a new version."""
    initiative = access.get_initiative_for(request.user, slug)
    if request.method == "POST":
        queued = dossier_request(initiative=initiative, by=request.user)
        dossier = queued.dossier
        if queued.queued is False:
            messages.warning(request, f"Version {dossier.version} is saved but the task queue cannot be reached right "
                                      "now: it stays queued and is generated as soon as the queue is back.")
        else:
            dossier.refresh_from_db()
            if dossier.state == Dossier.State.DONE:
                messages.success(request, f"Version {dossier.version} is ready.")
            elif dossier.state == Dossier.State.FAILED:
                messages.error(request, f"Version {dossier.version} could not be generated: {dossier.error}")
            else:
                messages.info(request, f"Version {dossier.version} is being generated; this page updates by itself.")
        return redirect("dossier:page", slug=slug)
    dossiers = list(Dossier.objects.filter(initiative=initiative).select_related("requested_by", "initiative"))
    waited = timezone.now() - timedelta(seconds=60)
    for d in dossiers:
        d.stuck = d.state == Dossier.State.PENDING and d.created_at < waited
    context = {
        "initiative": initiative,
        "dossiers": dossiers,
        "busy": any(d.in_progress for d in dossiers),
        "can_export": access.can_export_dossier(request.user, initiative),
        "will_sign": initiative.status == "approved",
        "signature_level": signing.signature_level(),
        "has_signed": any(d.kind == Dossier.Kind.FINAL and d.state == Dossier.State.DONE for d in dossiers),
        "has_model_card": model_card.applies(initiative),
    }
    if request.headers.get("HX-Request"):
        return render(request, "dossier/_versions.html", context)
    return render(request, "dossier/page.html", context)


@login_required
@require_safe
def download(request, slug, version):
    return version_attachment(access.get_initiative_for(request.user, slug), version, by=request.user)


def version_attachment(initiative, version: int, *, by):
    """A rendered version's PDF as an attachment, its download audited (the web page and the API).
    The caller has fetched the initiative through access.py."""
    dossier = Dossier.objects.filter(initiative=initiative, version=version, state=Dossier.State.DONE).first()
    if dossier is None or not dossier.file:
        raise Http404("No such dossier version")
    try:
        handle = dossier.file.open("rb")
    except FileNotFoundError:
        raise Http404("The stored file is missing") from None
    record_download(dossier=dossier, by=by)
    return attachment(handle, filename=dossier.download_name, content_type="application/pdf")


@login_required
@require_safe
def model_card_xml(request, slug):
    """The CHAI Applied Model Card XML alone, for whoever may see the initiative (v1: 404)."""
    initiative = access.get_initiative_for(request.user, slug)
    if not model_card.applies(initiative):
        raise Http404("This initiative's checklist has no model card")
    card = model_card_of(initiative)
    record_model_card_download(initiative=initiative, card=card, by=request.user)
    return attachment(BytesIO(card.xml), filename=card.filename, content_type="application/xml")


@login_required
def verify(request):
    """Any signed-in user uploads a PDF and learns whether it is a genuine dossier of ours.

    At most HEALTHPM_VERIFY_PER_MINUTE posts a minute per user (shared with the API's verify):
    beyond it the page answers 429 with the wait, and nothing is verified or recorded."""
    if request.method == "POST":
        wait = verify_wait(request.user)
        if wait is not None:
            response = render(request, "dossier/verify.html",
                              {"form": VerifyForm(), "throttled": too_many_message(wait)}, status=429)
            response["Retry-After"] = str(wait)
            return response
    form = VerifyForm(request.POST or None, request.FILES or None)
    result, status = None, 200
    if request.method == "POST":
        if form.is_valid():
            result = dossier_verify(form.cleaned_data["file"])
            record_verification(result, by=request.user)
        else:
            status = 400
    return render(request, "dossier/verify.html", {"form": form, "result": result}, status=status)
