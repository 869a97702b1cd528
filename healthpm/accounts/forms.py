from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator

from healthpm.core.forms import PlainTextForm


class LoginForm(PlainTextForm, AuthenticationForm):
    """Django's login form, refusing what cannot be a username before anything is looked up.

    AuthenticationForm sets the username's max_length after the field is built, so no length
    validator runs: a 100,000-character name reached the lockout (django-axes), whose
    username column holds 255, and the login failed with a server error on PostgreSQL.
    """

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "The username or password is not correct. Try again.",
        "service_account": "This is a service account: it signs in to nothing and acts only through API tokens.",
        "sso_only": "Sign in with %(organisation)s. Local accounts are kept for emergency (break-glass) access.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        # Its password is unusable anyway; this also holds if an administrator ever sets one.
        if hasattr(user, "service_account"):
            raise ValidationError(self.error_messages["service_account"], code="service_account")
        group = settings.HEALTHPM_LOCAL_LOGIN_GROUP
        # With single sign-on on, the password store is the fallback, not the front door.
        if settings.OIDC_ISSUER and group and not user.groups.filter(name=group).exists():
            raise ValidationError(self.error_messages["sso_only"], code="sso_only",
                                  params={"organisation": settings.OIDC_ORGANISATION_NAME})


def code_field(label: str, *, recovery: bool) -> forms.CharField:
    """A one-time code: six digits from the app, or (where accepted) a recovery code like abcd-efgh."""
    return forms.CharField(
        label=label, max_length=32, strip=True,
        help_text="Or one of your recovery codes." if recovery else "",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "off",
                                      "spellcheck": "false", "inputmode": "text" if recovery else "numeric",
                                      "autofocus": True}),
    )


class LoginCodeForm(PlainTextForm, forms.Form):
    """The second step of signing in, after the right password."""

    code = code_field("Authenticator code", recovery=True)


class ConfirmDeviceForm(PlainTextForm, forms.Form):
    code = code_field("The 6-digit code your authenticator app shows now", recovery=False)


class CurrentCodeForm(PlainTextForm, forms.Form):
    """New recovery codes need the authenticator itself, not a recovery code."""

    code = code_field("The 6-digit code your authenticator app shows now", recovery=False)
