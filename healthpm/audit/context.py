from contextvars import ContextVar

# The IP of the request being served, read by audit.services.record.
client_ip_var: ContextVar[str | None] = ContextVar("client_ip", default=None)

# The signed-in user of the request being served, for events raised by signals that do not
# carry one (a role granted through the admin's user form). Read lazily: most requests never ask.
request_user_var: ContextVar[object | None] = ContextVar("request_user", default=None)


def request_actor():
    """The authenticated user of the current request, or None outside one."""
    request = request_user_var.get()
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None
