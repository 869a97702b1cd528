from django import forms
from django.contrib.auth import get_user_model

from healthpm.core.forms import MAX_ID, PlainTextForm

from .models import MAX_COMMENT_LENGTH


class PersonField(forms.ModelChoiceField):
    """A person by username: who may be chosen is the service's rule, so the field takes any
    active account and the service refuses, naming why, whoever the rule does not allow."""

    default_error_messages = {
        "invalid_choice": "That person has no active account here; choose someone from the list.",
    }

    def __init__(self, **kwargs):
        super().__init__(queryset=get_user_model().objects.filter(is_active=True), to_field_name="username",
                         required=False, **kwargs)


class AssignForm(forms.Form):
    assignee = PersonField(label="Assigned to", empty_label="Nobody yet")
    reviewer = PersonField(label="Reviewer requested", empty_label="Any compliance officer")


class CommentForm(PlainTextForm, forms.Form):
    body = forms.CharField(
        label="Comment", max_length=MAX_COMMENT_LENGTH, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=f"Plain text, up to {MAX_COMMENT_LENGTH:,} characters. Mention a person who may see this "
                  "initiative with @username to notify them.",
        error_messages={"required": "Write the comment before posting it."},
    )
    # Set when editing: the comment version this one replaces.
    supersedes = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput)
