from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView
from rest_framework.response import Response

from healthpm.gates.context import evaluation_context
from healthpm.gates.report import gate_report

from .. import fetch
from ..serializers import GateDetailSerializer
from .common import problems


def evidence_row(evidence, state: str) -> dict:
    return {"id": evidence.pk, "item_key": evidence.item_key, "kind": evidence.kind, "name": evidence.display_name,
            "url": evidence.url, "sha256": evidence.sha256, "size": evidence.size, "version": evidence.version,
            "state": state, "effective_date": evidence.effective_date, "expiry_date": evidence.expiry_date,
            "author": evidence.author, "created_at": evidence.created_at}


def gate_body(gate) -> dict:
    """The gate as the gate page shows it: one report (healthpm/gates/report.py), not a second reading."""
    report = gate_report(gate, evaluation_context())
    return {
        "key": gate.key, "title": gate.title, "position": report.position, "status": gate.status,
        "data": report.data,
        "items": [{"key": s.item.key, "label": s.item.label, "structured": s.item.structured,
                   "evidenced": s.evidenced, "evidence_ids": [e.pk for e in s.evidence]} for s in report.items],
        "findings": [{"level": str(f.level), "message": f.message, "field": f.field, "row": f.row}
                     for f in report.grouped_findings],
        "evidence": [evidence_row(row.evidence, row.state) for row in report.evidence],
        "decisions": [{"id": d.pk, "decision": d.decision, "reason": d.reason, "decided_by": d.decided_by,
                       "decided_at": d.decided_at, "voided_at": d.voided_at, "void_reason": d.void_reason}
                      for d in report.decisions],
    }


class GateDetail(APIView):
    @extend_schema(responses={200: GateDetailSerializer, **problems(404)})
    def get(self, request, slug, key):
        gate = fetch.gate(request, slug, key)
        return Response(GateDetailSerializer(gate_body(gate)).data)
