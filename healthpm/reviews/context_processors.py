from django.utils.functional import SimpleLazyObject

from healthpm import access


def review_count(request):
    """The navigation's count of gates waiting for the signed-in officer: one COUNT query, made
    only when a page shows it (compliance officers only)."""
    user = request.user
    if not access.can_review(user):
        return {"reviews_waiting": None}

    from .queue import waiting_count

    return {"reviews_waiting": SimpleLazyObject(lambda: waiting_count(user))}
