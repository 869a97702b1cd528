from .models import Notification


def inbox(request):
    """The unread count of the navigation's inbox badge: one COUNT on an index, only when signed in.

    Lazy, so a page that never shows the navigation (an error page, a PDF) pays nothing."""
    user = request.user
    if not user.is_authenticated:
        return {}

    cached = {}

    def unread() -> int:
        if "n" not in cached:
            cached["n"] = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
        return cached["n"]

    return {"inbox_unread": unread}
