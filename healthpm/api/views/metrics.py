"""Live monitoring samples by API (issue 16): the same service as the Monitoring page's CSV upload."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from healthpm import access
from healthpm.core.errors import WorkflowError
from healthpm.monitoring.models import MetricSample
from healthpm.monitoring.plan import approved_plan
from healthpm.monitoring.services import SampleRefused, metric_sample_record

from .. import fetch, idempotency
from ..errors import problem
from ..models import Scope
from .common import problems

RECENT = 500


class MetricSampleInSerializer(serializers.Serializer):
    metric = serializers.CharField(max_length=80, help_text="The metric's key in the approved monitoring plan.")
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    value = serializers.DecimalField(max_digits=18, decimal_places=6)
    subgroup = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")


class BreachSerializer(serializers.Serializer):
    kind = serializers.CharField()
    metric = serializers.CharField()
    direction = serializers.CharField()
    threshold = serializers.DecimalField(max_digits=18, decimal_places=6)
    observed = serializers.DecimalField(max_digits=18, decimal_places=6)
    working = serializers.CharField()
    gate = serializers.CharField(source="gate.key")
    created_at = serializers.DateTimeField()
    cleared_at = serializers.DateTimeField(allow_null=True)


class MetricSampleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    metric = serializers.CharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    value = serializers.DecimalField(max_digits=18, decimal_places=6)
    subgroup = serializers.CharField()
    source = serializers.CharField()
    created_at = serializers.DateTimeField()
    breaches = BreachSerializer(many=True)
    initiative_paused = serializers.SerializerMethodField()

    def get_initiative_paused(self, sample) -> bool:
        return sample.initiative.is_paused


class MetricSamples(APIView):
    """GET: the initiative's latest samples (read). POST: one new sample (metrics:write)."""

    @property
    def required_scope(self):
        return Scope.METRICS_WRITE if self.request.method == "POST" else Scope.READ

    @extend_schema(responses={200: MetricSampleSerializer(many=True), **problems(404)},
                   parameters=[OpenApiParameter("metric", str, required=False)])
    def get(self, request, slug):
        """The latest samples, newest first (at most 500), optionally of one metric."""
        initiative = fetch.initiative(request, slug)
        samples = MetricSample.objects.filter(initiative=initiative).select_related("initiative")
        if request.query_params.get("metric"):
            samples = samples.filter(metric=request.query_params["metric"])
        samples = samples.prefetch_related("breaches__gate").order_by("-period_end", "-id")[:RECENT]
        return Response(MetricSampleSerializer(samples, many=True).data)

    @extend_schema(request=MetricSampleInSerializer, responses={201: MetricSampleSerializer, **problems(400, 404, 409, 422)},
                   parameters=[OpenApiParameter(idempotency.HEADER, str, OpenApiParameter.HEADER, required=False,
                                                description="A retry with the same key stores one sample.")])
    def post(self, request, slug):
        """Record a sample: checked against the approved plan; a breach pauses the initiative and re-opens
        the gate that owns the fact, and the answer lists it."""
        initiative = fetch.initiative(request, slug)
        # 403 before reading the body, as the web views; the service asks again for the very metric.
        plan = approved_plan(initiative)
        access.require_record_metrics(request.user, initiative, owners=plan.owners if plan else ())
        given = MetricSampleInSerializer(data=request.data)
        given.is_valid(raise_exception=True)

        def write():
            try:
                sample = metric_sample_record(
                    initiative=initiative, by=request.user, source=MetricSample.Source.API,
                    idempotency_key=request.headers.get(idempotency.HEADER, ""), **given.validated_data)
            except SampleRefused as exc:
                raise exceptions.ValidationError({exc.field: [exc.message]}) from exc
            except WorkflowError as exc:
                raise _Conflict(" ".join([exc.message, *exc.details])) from exc
            sample = MetricSample.objects.select_related("initiative").prefetch_related("breaches__gate").get(pk=sample.pk)
            return 201, dict(MetricSampleSerializer(sample).data)

        try:
            return idempotency.run_once(request, idempotency.fingerprint(request, ""), write)
        except _Conflict as conflict:
            return problem(409, str(conflict))


class _Conflict(Exception):
    """The initiative cannot take samples now (not launched, or no approved plan)."""
