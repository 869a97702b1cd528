from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from healthpm.accounts import roles
from healthpm.core.forms import MAX_ID, PlainTextForm

from .models import Initiative
from .services import EDITABLE_FIELDS


def _pm_users():
    return get_user_model().objects.filter(groups__name=roles.PRODUCT_MANAGER, is_active=True).order_by("username")


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return roles.printed_name(obj)


class UsersChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return roles.printed_name(obj)

    def _check_values(self, value):
        # Django checks each id, then asks for all at once (pk__in), where an id beyond the
        # database's range is an OverflowError on SQLite rather than an invalid choice.
        for pk in value:
            try:
                out_of_range = abs(int(str(pk))) > MAX_ID
            except ValueError:
                continue  # not a number: Django refuses it as an invalid value itself
            if out_of_range:
                raise ValidationError(self.error_messages["invalid_pk_value"], code="invalid_pk_value",
                                      params={"pk": pk})
        return super()._check_values(value)


class InitiativeForm(PlainTextForm, forms.ModelForm):
    owner = UserChoiceField(queryset=_pm_users(), help_text="The product manager accountable for launch readiness.")
    collaborators = UsersChoiceField(
        queryset=_pm_users(), required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Product managers who may fill gates and attach evidence.",
    )
    # The create form's idempotency token (views.initiative_new): Back and Create again finds the
    # initiative this form already made instead of making a second one.
    create_token = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    class Meta:
        model = Initiative
        fields = [*EDITABLE_FIELDS]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3}),
            "intended_use": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Querysets are evaluated per form so new users appear without a restart.
        self.fields["owner"].queryset = _pm_users()
        self.fields["collaborators"].queryset = _pm_users()
        if self.instance.pk:
            self.initial.setdefault("owner", self.instance.owner_id)
            self.initial.setdefault("collaborators", list(self.instance.collaborators.values_list("pk", flat=True)))
        self._offer_collaborators_but_the_owner()

    def _offer_collaborators_but_the_owner(self) -> None:
        """The owner is not offered as their own collaborator. Only the checkboxes leave them out:
        the field still accepts every PM, so a post naming the owner gets clean()'s message."""
        owner = self.data.get(self.add_prefix("owner")) if self.is_bound else self.initial.get("owner")
        owner = getattr(owner, "pk", owner)
        field = self.fields["collaborators"]
        field.widget.choices = [(value, label) for value, label in field.choices if str(value) != str(owner)]

    def clean(self):
        cleaned = super().clean()
        owner = cleaned.get("owner")
        if owner and owner in (cleaned.get("collaborators") or []):
            self.add_error("collaborators", f"{roles.printed_name(owner)} is already the owner.")
        return cleaned

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in EDITABLE_FIELDS}


class MoveChecklistForm(PlainTextForm, forms.Form):
    """A compliance officer moves an in-flight initiative to a later released checklist."""

    version = forms.TypedChoiceField(coerce=int, label="Move to checklist")
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000,
                             help_text="Why this initiative must meet the new checklist. Kept in the audit trail.")

    def __init__(self, *args, choices: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].choices = choices
