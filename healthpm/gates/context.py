"""The one place that reads what gate rules may know besides the answers: the clock, the
administrator's reference data and the thresholds. Build it once per request or task and
hand it to every definition hook; definitions themselves never query or read the clock."""

from datetime import date

from django.conf import settings
from django.utils import timezone

from . import registry
from .definitions.base import EvaluationContext
from .models import split_terms


def evaluation_context(*, today: date | None = None, apps=None) -> EvaluationContext:
    """Three queries: the source systems, the proxy variables and the subgroup dimensions
    (`apps`: a migration's models)."""
    if apps is None:
        from django.apps import apps
    SourceSystem = apps.get_model("gates", "SourceSystem")
    ProxyVariable = apps.get_model("gates", "ProxyVariable")
    try:
        dimensions = dict(apps.get_model("gates", "SubgroupDimension").objects.values_list("name", "required"))
    except LookupError:  # a migration older than the dimensions (dashboard 0002's backfill)
        dimensions = {}
    return EvaluationContext(
        today=today or timezone.localdate(),
        sources=dict(SourceSystem.objects.values_list("name", "approved")),
        proxies=tuple((label, tuple(split_terms(terms)))
                      for label, terms in ProxyVariable.objects.values_list("label", "match_terms")),
        subgroup_dimensions=dimensions,
        thresholds=thresholds(),
    )


def thresholds() -> dict:
    """Every threshold a registered gate declares, from the settings (or the gate's default)."""
    return {name: getattr(settings, name, default)
            for gate in registry.all_gates() for name, default in gate.thresholds.items()}
