from rest_framework.permissions import BasePermission


class TokenScope(BasePermission):
    """The view's `required_scope` must be one of the token's scopes (403 otherwise)."""

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated and request.auth is not None):
            return False
        scope = getattr(view, "required_scope", "read")
        if request.auth.has_scope(scope):
            return True
        self.message = f"This token lacks the “{scope}” scope: create a token that has it."
        return False
