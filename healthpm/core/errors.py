class WorkflowError(Exception):
    """A transition refused for a reason the user can act on. Nothing was changed."""

    def __init__(self, message: str, *, details: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or []


class PasswordRefused(WorkflowError):
    """A re-entered password (to sign) was wrong: it counts towards the login lockout."""
