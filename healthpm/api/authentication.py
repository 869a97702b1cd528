"""`Authorization: Bearer hpm_…`: the only way into /api/v1/ (no session, so no CSRF to forge)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from . import tokens


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0].lower() != self.keyword.lower():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the token as “Authorization: Bearer hpm_…”.")
        token = tokens.token_for(header[1])
        if token is None:
            raise exceptions.AuthenticationFailed(
                "The token is unknown, revoked or expired: create a new one at /api/tokens/.")
        tokens.touch(token)
        return token.owner, token

    def authenticate_header(self, request):
        # Makes DRF answer 401 (with this challenge), not 403, when no token is sent.
        return f'{self.keyword} realm="healthpm"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = BearerTokenAuthentication
    name = "bearerToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An API token: hpm_<prefix>_<secret>."}
