from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from healthpm.core import claims

from .models import Dossier
from .services import CLAIMS, claim_lease, dossier_generate


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, time_limit=settings.HEALTHPM_DOSSIER_TIME_LIMIT,
             soft_time_limit=settings.HEALTHPM_DOSSIER_TIME_LIMIT - 30, serializer="json")
def generate_dossier(self, dossier_id: int) -> str | None:
    """Render one requested version. A duplicate delivery finds the row claimed and does nothing.

    When the worker process dies mid-render, the message goes back to the queue marked
    redelivered (acks_late + reject_on_worker_lost); that delivery takes the row over from
    the dead run instead of finding it "running" and leaving it stuck.
    """
    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    dossier = dossier_generate(dossier_id, take_over=redelivered)
    return dossier.state if dossier is not None else None


@shared_task(acks_late=True, time_limit=900, soft_time_limit=870)
def render_pending_dossiers(min_age_seconds: int = 60, limit: int = 20) -> int:
    """Beat sweeper: render versions a broker outage left pending (older than min_age_seconds),
    and take over runs older than the hard time limit, whose worker died with its message lost."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=min_age_seconds)
    pending = Dossier.objects.filter(
        Q(CLAIMS.free, created_at__lt=cutoff) | claims.lease_expired(CLAIMS, claim_lease(), now=now)
    ).order_by("pk")
    rendered = 0
    for pk in list(pending.values_list("pk", flat=True)[:limit]):
        rendered += dossier_generate(pk) is not None
    return rendered


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100, serializer="json")
def flush_verification_repeats() -> int:
    """Beat, every minute: write the aggregated event of each verification window that closed
    (verify_limits.flush_due; safe to run twice, a window is claimed before it is written)."""
    from .verify_limits import flush_due

    return flush_due()
