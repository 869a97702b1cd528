"""Queue e-mail through the outbox: rows in the caller's transaction, sending after commit."""

from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from healthpm.core.tasks import enqueue_on_commit

from .models import Notification


def notify(recipients: Iterable, *, subject: str, template: str, context: dict, link: str,
           dedupe_key: str | None = None) -> list[Notification]:
    """Write one outbox row per recipient with an address and send them after commit.

    `template` names a pair `notifications/<template>.txt` / `.html`; the context gets
    `recipient` and `site_url`. `link` is the site path of exactly what the message is about
    (the gate, the decision, the comment): the in-app inbox entry leads there. With a
    dedupe_key, a reminder already queued is skipped.
    """
    if not link.startswith("/") or link.startswith("//"):
        raise ValueError(f"notify(link=…) takes a path on this site, not {link!r}")
    created = []
    for recipient in {r.pk: r for r in recipients if r is not None and r.email}.values():
        ctx = {**context, "recipient": recipient, "site_url": settings.SITE_URL.rstrip("/")}
        key = f"{dedupe_key}:{recipient.pk}" if dedupe_key else None
        if key and Notification.objects.filter(dedupe_key=key).exists():
            continue
        note = Notification(
            recipient=recipient,
            subject=subject,
            body_text=render_to_string(f"notifications/{template}.txt", ctx),
            body_html=render_to_string(f"notifications/{template}.html", ctx),
            dedupe_key=key,
            link=link,
        )
        try:
            # A savepoint: two reminder runs racing on one key must not break the caller's transaction.
            with transaction.atomic():
                note.save()
        except IntegrityError:
            if key is None:
                raise
            continue  # the other run queued this reminder
        created.append(note)
    for note in created:  # one task per row: each is tried, and logged if refused, on its own
        enqueue_on_commit("healthpm.notifications.tasks.send_notification", note.pk,
                          pending=f"notification {note.pk} left pending",
                          catch_up="the beat sweeper send_pending_notifications sends it")
    return created
