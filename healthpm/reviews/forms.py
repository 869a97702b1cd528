from django import forms

from healthpm.gates import registry
from healthpm.initiatives.models import ClinicalArea


class QueueFilterForm(forms.Form):
    """Filters of the review queue; "assigned to me" keeps the gates whose owner asked this
    officer to review them (Gate.requested_reviewer)."""

    clinical_area = forms.ChoiceField(required=False, choices=[("", "Every clinical area"), *ClinicalArea.choices],
                                      widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    gate = forms.ChoiceField(required=False, label="Gate",
                             widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    mine = forms.BooleanField(required=False, label="Assigned to me",
                              widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["gate"].choices = [("", "Every gate"), *((d.key, d.title) for d in registry.all_gates())]

    @property
    def filters(self) -> dict[str, str]:
        """The valid filters (an unknown value is ignored, and the form shows why)."""
        if not self.is_bound or not self.is_valid():
            return {"clinical_area": "", "gate_key": "", "mine": False}
        return {"clinical_area": self.cleaned_data["clinical_area"], "gate_key": self.cleaned_data["gate"],
                "mine": self.cleaned_data["mine"]}
