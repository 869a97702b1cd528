from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from healthpm.dossier.forms import VerifyForm
from healthpm.dossier.models import Dossier
from healthpm.dossier.services import dossier_verify, record_verification
from healthpm.dossier.verify_limits import too_many_message, verify_wait
from healthpm.dossier.views import version_attachment

from .. import fetch
from ..errors import problem
from ..serializers import DossierSerializer, VerificationSerializer, VerifyUploadSerializer
from .common import problems


class DossierList(APIView):
    @extend_schema(responses={200: DossierSerializer(many=True), **problems(404)})
    def get(self, request, slug):
        initiative = fetch.initiative(request, slug)
        rows = []
        for dossier in Dossier.objects.filter(initiative=initiative).order_by("-version"):
            done = dossier.state == Dossier.State.DONE and bool(dossier.file)
            rows.append({
                "version": dossier.version, "kind": dossier.kind, "state": dossier.state, "sha256": dossier.sha256,
                "size": dossier.size, "pages": dossier.pages, "signature_level": dossier.signature_level,
                "created_at": dossier.created_at,
                "finished_at": dossier.finished_at,
                "download_url": reverse("api:dossier_download", args=[slug, dossier.version]) if done else None,
            })
        return Response(DossierSerializer(rows, many=True).data)


class PdfRenderer(BaseRenderer):
    """Lets a client ask for `Accept: application/pdf`; refusals still go out as problem+json."""

    media_type = "application/pdf"
    format = "pdf"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return JSONRenderer().render(data)


class DossierDownload(APIView):
    renderer_classes = [JSONRenderer, PdfRenderer]

    @extend_schema(responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY), **problems(404)})
    def get(self, request, slug, version):
        """The PDF, through the same access check and audit event as the web download."""
        return version_attachment(fetch.initiative(request, slug), version, by=request.user)


class DossierVerify(APIView):
    """The verify page's check by API: same form, same verdicts, same audit and the same
    per-user limit (HEALTHPM_VERIFY_PER_MINUTE, one count with the page)."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": VerifyUploadSerializer},
                   responses={200: VerificationSerializer, **problems(400)})
    def post(self, request):
        """Is the uploaded PDF an unmodified dossier issued by this deployment, and which one?"""
        wait = verify_wait(request.user)  # after authentication and scope, before reading the file
        if wait is not None:
            return problem(429, too_many_message(wait), headers={"Retry-After": str(wait)})
        form = VerifyForm(request.data, request.FILES)
        if not form.is_valid():
            raise exceptions.ValidationError({field: errors for field, errors in form.errors.items()})
        result = dossier_verify(form.cleaned_data["file"])
        record_verification(result, by=request.user)
        return Response(VerificationSerializer({
            "ok": result.ok, "verdict": result.verdict, "message": result.message, "sha256": result.sha256,
            "initiative": result.dossier.initiative.slug if result.dossier else None,
            "version": result.dossier.version if result.dossier else None,
        }).data)
