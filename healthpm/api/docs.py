"""The OpenAPI schema and its docs page (Swagger UI from drf-spectacular-sidecar's static files).

The page is our own template: drf-spectacular's carries an inline <style> and script, which
the CSP (script-src/style-src 'self') refuses. Both answer a signed-in web session as well as
a token, so a person can read the docs in the browser; the API itself takes tokens only.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe
from drf_spectacular.views import SpectacularAPIView
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAuthenticated

from .authentication import BearerTokenAuthentication


class SchemaView(SpectacularAPIView):
    authentication_classes = [BearerTokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]


@login_required
@require_safe
def docs(request):
    return render(request, "api/docs.html", {"schema_url": reverse("api:schema")})
