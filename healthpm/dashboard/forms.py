from django import forms

from healthpm.core.forms import MAX_ID
from healthpm.initiatives.models import ClinicalArea, Status

from .portfolio import DEFAULT_SORT, SORTS, Filters


class PortfolioFilterForm(forms.Form):
    """The dashboard's filters, read from the query string so a filtered view can be shared.

    Owner choices are passed in (one query in the view); a value that does not validate is
    ignored rather than shown as an error, as a stale bookmark should still open.
    """

    clinical_area = forms.ChoiceField(required=False, label="Clinical area",
                                      choices=[("", "All areas"), *ClinicalArea.choices])
    owner = forms.TypedChoiceField(required=False, label="Owner", coerce=int, empty_value=None)
    status = forms.ChoiceField(required=False, label="Status", choices=[("", "All statuses"), *Status.choices])
    sort = forms.ChoiceField(required=False, label="Sort by",
                             choices=[(key, label) for key, (label, _) in SORTS.items()])

    def __init__(self, *args, owners: list[tuple[int, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if owners is None:
            # The CSV export validates any id without listing owners (no query needed). The
            # bound keeps an id SQLite cannot hold (9…9, 30 digits) from reaching the query.
            self.fields["owner"] = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
        else:
            self.fields["owner"].choices = [("", "All owners"), *[(str(pk), name) for pk, name in owners]]
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select form-select-sm"

    def _value(self, name: str):
        if not self.is_bound:
            return None
        self.is_valid()
        return self.cleaned_data.get(name) if name not in self.errors else None

    @property
    def filters(self) -> Filters:
        return Filters(clinical_area=self._value("clinical_area") or "", owner=self._value("owner"),
                       status=self._value("status") or "")

    @property
    def sort_key(self) -> str:
        return self._value("sort") or DEFAULT_SORT
