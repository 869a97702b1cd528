"""What the API answers, field by field (and so what the OpenAPI schema promises)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from healthpm.accounts.roles import printed_name
from healthpm.gates.models import GateStatus
from healthpm.initiatives.models import CareSetting, ClinicalArea, Status


class ProblemErrorSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True)
    detail = serializers.CharField()


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details; `errors` names each refused field of a validation error."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    errors = ProblemErrorSerializer(many=True, required=False)


@extend_schema_field(OpenApiTypes.STR)
class PersonField(serializers.Field):
    """A person as the pages name them (full name, else username)."""

    def to_representation(self, user):
        return printed_name(user) if user is not None else None


def _person(**kwargs):
    return PersonField(read_only=True, **kwargs)


class InitiativeFilterSerializer(serializers.Serializer):
    """The initiative list's query: the filters of the web list (status, search) and the dashboard's area."""

    status = serializers.ChoiceField(choices=Status.choices, required=False)
    clinical_area = serializers.ChoiceField(choices=ClinicalArea.choices, required=False)
    q = serializers.CharField(required=False, max_length=200, help_text="Words matched against title, owner, area.")


class GateSummarySerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    position = serializers.IntegerField()
    status = serializers.ChoiceField(choices=GateStatus.choices)


class InitiativeSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    clinical_area = serializers.ChoiceField(choices=ClinicalArea.choices)
    owner = _person()
    checklist_version = serializers.IntegerField()
    updated_at = serializers.DateTimeField()
    paused_at = serializers.DateTimeField(
        allow_null=True, help_text="Set while a live monitoring breach waits for review (paused — review required).")


class InitiativeDetailSerializer(InitiativeSerializer):
    summary = serializers.CharField()
    intended_use = serializers.CharField()
    intended_users = serializers.CharField()
    care_setting = serializers.ChoiceField(choices=CareSetting.choices)
    created_at = serializers.DateTimeField()
    gates = GateSummarySerializer(many=True, source="gates_summary")


class ItemSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    structured = serializers.BooleanField()
    evidenced = serializers.BooleanField()
    evidence_ids = serializers.ListField(child=serializers.IntegerField())


class FindingSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=["block", "warn"])
    message = serializers.CharField()
    field = serializers.CharField(allow_blank=True)
    row = serializers.CharField(allow_blank=True)


class EvidenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    item_key = serializers.CharField()
    kind = serializers.CharField()
    name = serializers.CharField()
    url = serializers.CharField(allow_blank=True)
    sha256 = serializers.CharField(allow_blank=True)
    size = serializers.IntegerField(allow_null=True)
    version = serializers.IntegerField()
    state = serializers.ChoiceField(choices=["current", "expired", "superseded"])
    effective_date = serializers.DateField()
    expiry_date = serializers.DateField(allow_null=True)
    author = _person()
    created_at = serializers.DateTimeField()


class DecisionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    decision = serializers.CharField()
    reason = serializers.CharField(allow_blank=True)
    decided_by = _person()
    decided_at = serializers.DateTimeField()
    voided_at = serializers.DateTimeField(allow_null=True)
    void_reason = serializers.CharField(allow_blank=True)


class GateDetailSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    position = serializers.IntegerField()
    status = serializers.ChoiceField(choices=GateStatus.choices)
    data = serializers.DictField(help_text="The gate's saved answers, as its form stores them.")
    items = ItemSerializer(many=True)
    findings = FindingSerializer(many=True)
    evidence = EvidenceSerializer(many=True)
    decisions = DecisionSerializer(many=True, help_text="Newest first.")


class DossierSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    kind = serializers.CharField()
    state = serializers.CharField()
    sha256 = serializers.CharField(allow_blank=True)
    size = serializers.IntegerField(allow_null=True)
    pages = serializers.IntegerField(allow_null=True)
    signature_level = serializers.CharField(
        allow_blank=True, help_text='"PAdES B-LTA" (trusted timestamp), "PAdES B-B" (none), or empty for a draft.')
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    download_url = serializers.CharField(allow_null=True)


class VerifyUploadSerializer(serializers.Serializer):
    """The multipart form of a verification; the checks are the web page's (dossier.forms.VerifyForm)."""

    file = serializers.FileField(help_text="The dossier PDF exactly as received.")


class VerificationSerializer(serializers.Serializer):
    ok = serializers.BooleanField(help_text="True only for an unmodified dossier signed by this deployment.")
    verdict = serializers.ChoiceField(choices=["genuine", "draft", "altered", "untrusted", "foreign", "unsigned",
                                               "unknown", "unreadable", "not_pdf", "unavailable"])
    message = serializers.CharField()
    sha256 = serializers.CharField()
    initiative = serializers.CharField(allow_null=True, help_text="The slug of the dossier's initiative, when named.")
    version = serializers.IntegerField(allow_null=True)


class EvidenceUploadSerializer(serializers.Serializer):
    """The multipart form of an evidence upload; the checks are the web form's (gates.forms.EvidenceForm)."""

    item = serializers.CharField(help_text="The checklist item's key.")
    file = serializers.FileField(required=False)
    url = serializers.URLField(required=False, help_text="…or an https link (one of the two).")
    title = serializers.CharField(required=False, max_length=200)
    effective_date = serializers.DateField()
    expiry_date = serializers.DateField(required=False)
    replaces = serializers.IntegerField(required=False, help_text="The id of the evidence this replaces.")
