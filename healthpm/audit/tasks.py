import logging

from celery import shared_task

from healthpm.dossier.signing import SigningUnavailable

from .checkpoints import checkpoint_write

log = logging.getLogger(__name__)


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100, serializer="json")
def write_audit_checkpoint() -> str:
    """Daily (beat): write the chain's head into a new signed checkpoint; return its file name.

    A redelivered run writes a second checkpoint a moment later: harmless, files are never
    overwritten. Without a usable signing certificate nothing is written and the task fails
    with the reason in the worker log.
    """
    try:
        checkpoint = checkpoint_write(actor_label="celery beat")
    except SigningUnavailable as exc:
        log.error("audit checkpoint not written: %s", exc)
        raise
    return checkpoint.path.name
