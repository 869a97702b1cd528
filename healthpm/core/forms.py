"""Text people type into forms is plain text: no control characters.

Control characters have no place in a title, a justification or a rationale: PostgreSQL
cannot store NUL (the save fails), a line break in a one-line field reaches an e-mail
subject (which refuses it, so the notification is never sent), and the rest are invisible
on screen and in the dossier. Multi-line fields (a Textarea) keep tabs and line breaks.

Forms opt in by inheriting `PlainTextForm` first: `class SubmitForm(PlainTextForm, forms.Form)`.
"""

import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.deconstruct import deconstructible

MULTILINE_KEEPS = "\t\n\r"
# The largest primary key (BigAutoField) any database here stores: a larger id from a form must
# be refused before it reaches a query, since SQLite raises OverflowError on it.
MAX_ID = 2**63 - 1


def _named(char: str) -> str:
    if char in "\r\n":
        return "line break"
    if char == "\t":
        return "tab"
    return f"invisible control character U+{ord(char):04X}"


@deconstructible
class PlainTextValidator:
    """Refuses control characters (Unicode category Cc), naming the first and where it is."""

    def __init__(self, *, multiline: bool = False):
        self.multiline = multiline

    def __call__(self, value) -> None:
        keeps = MULTILINE_KEEPS if self.multiline else ""
        for position, char in enumerate(str(value), start=1):
            if unicodedata.category(char) == "Cc" and char not in keeps:
                if self.multiline:
                    message = (f"Remove the {_named(char)} at character {position} (it often comes with text pasted "
                               "from a PDF or another program), then save again.")
                else:
                    message = f"Remove the {_named(char)} at character {position}: this field takes one line of plain text."
                raise ValidationError(message, code="control_character")

    def __eq__(self, other) -> bool:
        return isinstance(other, PlainTextValidator) and other.multiline == self.multiline


def plain_text_fields(fields) -> None:
    """Give every text field (not passwords) the validator, replacing Django's bare NUL check
    ("Null characters are not allowed.") whose message does not say what to do."""
    for field in fields.values():
        if not isinstance(field, forms.CharField) or isinstance(field.widget, forms.PasswordInput):
            continue
        if any(isinstance(v, PlainTextValidator) for v in field.validators):
            continue
        field.validators = [v for v in field.validators if not isinstance(v, ProhibitNullCharactersValidator)]
        field.validators.append(PlainTextValidator(multiline=isinstance(field.widget, forms.Textarea)))


class PlainTextForm:
    """Mixin for a Form or ModelForm: its text fields refuse control characters.

    Applied when the form cleans, so fields a subclass adds in __init__ are covered too.
    """

    def full_clean(self):
        plain_text_fields(self.fields)
        super().full_clean()
