from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .models import Dossier
from .services import dossier_generate



@shared_task(acks_late=True, time_limit=settings.HEALTHPM_DOSSIER_TIME_LIMIT,
             soft_time_limit=settings.HEALTHPM_DOSSIER_TIME_LIMIT - 30, serializer="json")
def generate_dossier(dossier_id: int) -> str | None:
    """Render one requested version. A duplicate delivery finds the row claimed and does nothing."""
    dossier = dossier_generate(dossier_id)
    return dossier.state if dossier is not None else None


@shared_task(acks_late=True, time_limit=900, soft_time_limit=870)
def render_pending_dossiers(min_age_seconds: int = 60, limit: int = 20) -> int:
    """Beat sweeper: render versions a broker outage left pending (older than min_age_seconds)."""
    cutoff = timezone.now() - timedelta(seconds=min_age_seconds)
    pending = Dossier.objects.filter(state=Dossier.State.PENDING, created_at__lt=cutoff).order_by("pk")
    rendered = 0
    for pk in list(pending.values_list("pk", flat=True)[:limit]):
        rendered += dossier_generate(pk) is not None
    return rendered
