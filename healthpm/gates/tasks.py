from datetime import timedelta

from celery import shared_task
from django.utils import timezone

# A preview nobody confirmed within a day is abandoned: its rows were compared with data that has
# likely moved on, and it holds a copy of the uploaded file.
PENDING_IMPORT_MAX_AGE = timedelta(days=1)


@shared_task(acks_late=True, time_limit=300, soft_time_limit=280)
def discard_abandoned_imports() -> int:
    """Beat, daily: delete import previews older than PENDING_IMPORT_MAX_AGE (idempotent)."""
    from .models import PendingImport

    deleted, _ = PendingImport.objects.filter(created_at__lt=timezone.now() - PENDING_IMPORT_MAX_AGE).delete()
    return deleted
