"""How an API view fetches: access.py first (404 for what the user may not see), then the
token's own narrowing to a set of initiatives (404 too: the token cannot see the rest)."""

from django.http import Http404

from healthpm import access
from healthpm.gates.models import Gate
from healthpm.initiatives.models import Initiative


def _allowed(request):
    """The initiative ids the token is restricted to, or None for no restriction."""
    token = request.auth
    ids = getattr(token, "_initiative_ids", None)
    if ids is None:
        ids = token._initiative_ids = set(token.initiatives.values_list("pk", flat=True))
    return ids or None


def visible_initiatives(request):
    qs = Initiative.objects.visible_to(request.user)
    allowed = _allowed(request)
    return qs if allowed is None else qs.filter(pk__in=allowed)


def initiative(request, slug: str) -> Initiative:
    found = access.get_initiative_for(request.user, slug)
    allowed = _allowed(request)
    if allowed is not None and found.pk not in allowed:
        raise Http404("No such initiative")
    return found


def gate(request, slug: str, key: str) -> Gate:
    initiative(request, slug)  # the token's restriction first, then access.py's own fetch
    return access.get_gate_for(request.user, slug, key)
