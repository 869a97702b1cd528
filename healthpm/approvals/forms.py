from django import forms

from healthpm.core.forms import PlainTextForm

from .models import Signature


class SignForm(PlainTextForm, forms.Form):
    meaning = forms.ChoiceField(choices=Signature.Meaning.choices, widget=forms.RadioSelect,
                                label="Meaning of your signature")
    statement = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                label="Statement", help_text="Required when rejecting: the grounds for the decision.")
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
                               label="Re-enter your password to sign")
    otp_code = forms.CharField(label="Authenticator code", max_length=32, required=True,
                               help_text="The 6-digit code your authenticator app shows now (or a recovery code).",
                               widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "off",
                                                             "spellcheck": "false"}))

    def __init__(self, *args, reauthenticate_at_provider: bool = False, needs_code: bool = False, **kwargs):
        """needs_code: a local signer with an authenticator app (mfa.code_needed); only then is its field shown."""
        super().__init__(*args, **kwargs)
        if reauthenticate_at_provider:
            # A single sign-on account has no password here: it signs in again at its provider.
            del self.fields["password"]
        if reauthenticate_at_provider or not needs_code:
            del self.fields["otp_code"]


class ReopenForm(PlainTextForm, forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}),
                             help_text="Why the launch decision must be revisited. Kept in the audit trail.")
