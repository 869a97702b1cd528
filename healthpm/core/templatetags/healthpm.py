from django import template

from healthpm.lib.burden import format_money, format_number

register = template.Library()


@register.filter
def num(value, places: int = 4) -> str:
    """A computed number as the working shows it: grouped thousands, no trailing zeros."""
    if value is None or value == "":
        return "—"
    return format_number(value, int(places))


@register.filter
def col(form, field_name: str) -> str:
    """Bootstrap column class for a field: the form's `columns` map, else half width."""
    return getattr(form, "columns", {}).get(field_name, "col-md-6")


@register.filter
def heading(form, field_name: str) -> str:
    """A heading the form draws before this field (its `headings` map: a group's first field)."""
    return getattr(form, "headings", {}).get(field_name, "")


@register.filter
def prefilled(form, field_name: str) -> str:
    """Where the page took this field's offered value from (`prefilled`, set by the gate page)."""
    return getattr(form, "prefilled", {}).get(field_name, "")


@register.filter
def money(value) -> str:
    """US dollars to the cent with grouped thousands: $7,350.00."""
    if value is None or value == "":
        return "—"
    return format_money(value)


@register.filter
def minutes(value) -> str:
    """A timedelta as whole minutes (0:30:00 → "30"), for messages people read."""
    if not value:
        return ""
    return f"{round(value.total_seconds() / 60):,}"


@register.inclusion_tag("includes/hash.html")
def hash_short(value, label: str = "SHA-256"):
    """A digest shortened to its first 12 hex digits, the whole value on demand (<details>).

    On screen only: a 64-character hash wrapped one character per line on a phone. The PDF
    dossier prints the full value.
    """
    value = value or ""
    return {"full": value, "short": value[:12], "label": label, "shortened": len(value) > 12}
