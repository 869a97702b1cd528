from django import template

from healthpm.audit import labels

register = template.Library()


@register.filter
def action_label(code: str) -> str:
    """gate_approved → "Gate approved"."""
    return labels.action_label(code)


@register.filter
def actor_name(event) -> str:
    """The event's actor as a printed name ("Priya Patel"), not a username."""
    return labels.actor_name(event)


@register.filter
def status_label(code, event) -> str:
    """{{ e.after.status|status_label:e }}: the status in words for the event's object."""
    return labels.status_label(event, code)
