from django import template

from healthpm.lib.burden import format_number

register = template.Library()


@register.filter
def num(value, places: int = 4) -> str:
    """A computed number as the working shows it: grouped thousands, no trailing zeros."""
    if value is None or value == "":
        return "—"
    return format_number(value, int(places))
