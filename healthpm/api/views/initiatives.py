from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from healthpm.gates.definitions.base import UnknownGate
from healthpm.initiatives import listing

from .. import fetch
from ..serializers import InitiativeDetailSerializer, InitiativeFilterSerializer, InitiativeSerializer
from .common import problems


@extend_schema(parameters=[InitiativeFilterSerializer], responses={200: InitiativeSerializer, **problems(400, 404)})
class InitiativeList(ListAPIView):
    """The initiatives this token may see, filtered like the web list (status, search) and by clinical area."""

    serializer_class = InitiativeSerializer

    def get_queryset(self):
        query = InitiativeFilterSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        qs = fetch.visible_initiatives(self.request)
        if area := query.validated_data.get("clinical_area"):
            qs = qs.filter(clinical_area=area)
        return listing.rows(qs, text=query.validated_data.get("q", "").strip(),
                            status=query.validated_data.get("status", ""))


def gate_summaries(initiative) -> list[dict]:
    out = []
    for gate in initiative.gates.order_by("order"):
        try:
            out.append({"key": gate.key, "title": gate.title, "position": gate.position, "status": gate.status})
        except UnknownGate:  # a gate its checklist does not define is not shown (as on the web)
            continue
    return out


class InitiativeDetail(APIView):
    @extend_schema(responses={200: InitiativeDetailSerializer, **problems(404)},
                   parameters=[OpenApiParameter("slug", str, OpenApiParameter.PATH)])
    def get(self, request, slug):
        initiative = fetch.initiative(request, slug)
        initiative.gates_summary = gate_summaries(initiative)  # the serializer's `gates`
        return Response(InitiativeDetailSerializer(initiative).data)
