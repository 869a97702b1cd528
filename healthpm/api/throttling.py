from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class TokenRateThrottle(SimpleRateThrottle):
    """HEALTHPM_API_RATE_PER_MINUTE requests a minute per token, counted in the default cache."""

    scope = "api_token"

    def get_rate(self):
        # Read at each request, not at import, so the setting (and tests) can change it.
        return f"{settings.HEALTHPM_API_RATE_PER_MINUTE}/min"

    def allow_request(self, request, view):
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        if request.auth is None:
            return None  # unauthenticated requests are refused before they cost anything
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
