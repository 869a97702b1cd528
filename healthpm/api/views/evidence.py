import hashlib

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.views import APIView

from healthpm import access
from healthpm.core.errors import WorkflowError
from healthpm.gates.forms import EvidenceForm
from healthpm.gates.services import check_link, check_upload, evidence_add, require_open_for_edit

from .. import fetch, idempotency
from ..errors import problem
from ..models import Scope
from ..serializers import EvidenceSerializer, EvidenceUploadSerializer
from .common import problems
from .gates import evidence_row


class _Refused(Exception):
    def __init__(self, response):
        self.response = response


class EvidenceUpload(APIView):
    required_scope = Scope.EVIDENCE_WRITE
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": EvidenceUploadSerializer},
        responses={201: EvidenceSerializer, **problems(400, 404, 409, 422)},
        parameters=[OpenApiParameter(idempotency.HEADER, str, OpenApiParameter.HEADER, required=False,
                                     description="A retry with the same key returns the first answer.")],
    )
    def post(self, request, slug, key):
        """Attach a file or an https link to a checklist item: the web form's checks and service."""
        gate = fetch.gate(request, slug, key)
        access.require_edit(request.user, gate.initiative)  # 403 before reading the form, as the web view
        files_digest = hashlib.sha256(b"".join(
            hashlib.sha256(f.read()).digest() + name.encode() for name, f in sorted(request.FILES.items())
        )).hexdigest()
        for f in request.FILES.values():
            f.seek(0)

        def write():
            form = EvidenceForm(request.data, request.FILES, gate=gate)
            if not form.is_valid():
                raise exceptions.ValidationError(
                    {("non_field_errors" if f == "__all__" else f): e for f, e in form.errors.items()})
            upload, url = form.upload(), form.cleaned_data["url"] or ""
            try:
                # The gate's state first, so a gate that cannot change now answers 409, bad input 400.
                require_open_for_edit(gate)
            except WorkflowError as exc:
                raise _Refused(problem(409, " ".join([exc.message, *exc.details]))) from exc
            try:
                # The service checks these again; asked first only to name the field in the answer.
                for field, check, value in (("file", check_upload, upload), ("url", check_link, url)):
                    if value:
                        try:
                            check(value)
                        except WorkflowError as exc:
                            raise exceptions.ValidationError({field: [exc.message]}) from exc
                evidence = evidence_add(
                    gate=gate, by=request.user, item_key=form.cleaned_data["item"],
                    effective_date=form.cleaned_data["effective_date"],
                    expiry_date=form.cleaned_data["expiry_date"], upload=upload, url=url,
                    title=form.cleaned_data["title"], replaces=form.cleaned_data["replaces"])
            except WorkflowError as exc:
                raise exceptions.ValidationError([" ".join([exc.message, *exc.details])]) from exc
            body = EvidenceSerializer(evidence_row(evidence, evidence.state(timezone.localdate()))).data
            return 201, dict(body)

        try:
            return idempotency.run_once(request, idempotency.fingerprint(request, files_digest), write)
        except _Refused as refused:
            return refused.response
