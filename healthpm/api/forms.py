from datetime import datetime, time, timedelta

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from healthpm.accounts.roles import ALL_ROLES
from healthpm.core.forms import PlainTextForm
from healthpm.initiatives.models import Initiative

from . import tokens
from .models import ApiToken, Scope, ServiceAccount


def _default_expiry():
    return timezone.localdate() + timedelta(days=min(90, settings.HEALTHPM_API_TOKEN_MAX_DAYS))


class TokenForm(PlainTextForm, forms.Form):
    """A new token of one's own (the /api/tokens/ page)."""

    name = forms.CharField(max_length=100, help_text="What will use it, e.g. “model registry nightly job”.")
    scopes = forms.MultipleChoiceField(choices=Scope.choices, widget=forms.CheckboxSelectMultiple,
                                       initial=[Scope.READ])
    expires_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), initial=_default_expiry,
                                 help_text="The last day it works.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expires_on"].help_text = (
            f"The last day it works: at most {settings.HEALTHPM_API_TOKEN_MAX_DAYS} days from today.")

    def clean_expires_on(self):
        day = self.cleaned_data["expires_on"]
        expires_at = timezone.make_aware(datetime.combine(day, time.max.replace(microsecond=0)))
        try:
            tokens.check_expiry(expires_at)
        except forms.ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["expires_at"]) from None
        return expires_at


class AdminTokenForm(forms.ModelForm):
    """A token for any user or service account, created in the admin (the secret is shown once)."""

    scopes = forms.MultipleChoiceField(choices=Scope.choices, widget=forms.CheckboxSelectMultiple)
    initiatives = forms.ModelMultipleChoiceField(Initiative.objects.order_by("title"), required=False,
                                                 help_text="Empty: every initiative the owner may see.")

    class Meta:
        model = ApiToken
        fields = ["owner", "name", "scopes", "expires_at", "initiatives"]

    def clean_owner(self):
        owner = self.cleaned_data["owner"]
        if not owner.is_active:
            raise forms.ValidationError(f"{owner.get_username()} is deactivated: activate the account first.")
        return owner

    def clean_expires_at(self):
        value = self.cleaned_data["expires_at"]
        try:
            tokens.check_expiry(value)
        except forms.ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["expires_at"]) from None
        return value


class ServiceAccountForm(forms.ModelForm):
    """A new machine account: a username, its role groups and what it is for; never a password."""

    username = forms.RegexField(r"^[\w.@+-]+$", max_length=150, help_text="e.g. svc-model-registry")
    roles = forms.ModelMultipleChoiceField(Group.objects.filter(name__in=ALL_ROLES), required=False,
                                           widget=forms.CheckboxSelectMultiple,
                                           help_text="What it may do is what these roles may do (access.py).")

    class Meta:
        model = ServiceAccount
        fields = ["username", "description", "roles"]

    def clean_username(self):
        name = self.cleaned_data["username"]
        if get_user_model().objects.filter(username__iexact=name).exists():
            raise forms.ValidationError(f"A user named “{name}” exists already: choose another username.")
        return name
