from contextvars import ContextVar

# The IP of the request being served, read by audit.services.record.
client_ip_var: ContextVar[str | None] = ContextVar("client_ip", default=None)
