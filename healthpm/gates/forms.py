from django import forms
from django.conf import settings
from django.utils import timezone

from healthpm.core.forms import PlainTextForm

from .models import Evidence, GateDecision
from .services import Upload


class DateInput(forms.DateInput):
    input_type = "date"


class EvidenceForm(PlainTextForm, forms.Form):
    item = forms.ChoiceField(label="Checklist item")
    file = forms.FileField(required=False, help_text="PDF, DOCX, XLSX, CSV, TXT, PNG or JPEG, up to 25 MB.")
    url = forms.URLField(required=False, label="…or an https link", assume_scheme="https",
                         help_text="Where the document is kept, e.g. the policy library.")
    title = forms.CharField(required=False, max_length=200, help_text="Optional; defaults to the file name.")
    effective_date = forms.DateField(widget=DateInput, help_text="The day the fact it proves was true.")
    expiry_date = forms.DateField(required=False, widget=DateInput, help_text="When it stops counting, if ever.")
    replaces = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, gate, **kwargs):
        super().__init__(*args, **kwargs)
        self.gate = gate
        self.fields["item"].choices = [(i.key, i.label) for i in gate.definition.items if not i.structured]
        self.fields["effective_date"].initial = timezone.localdate()
        self.fields["file"].help_text = (
            f"PDF, DOCX, XLSX, CSV, TXT, PNG or JPEG, up to {settings.HEALTHPM_MAX_UPLOAD_BYTES // 1_048_576} MB."
        )

    def clean(self):
        cleaned = super().clean()
        if bool(cleaned.get("file")) == bool(cleaned.get("url")):
            raise forms.ValidationError("Attach either a file or an https link (one of the two).")
        return cleaned

    def clean_replaces(self):
        pk = self.cleaned_data.get("replaces")
        if pk is None:
            return None
        evidence = Evidence.objects.filter(gate=self.gate, pk=pk).first()
        if evidence is None:
            raise forms.ValidationError("The evidence to replace does not belong to this gate.")
        return evidence

    def upload(self) -> Upload | None:
        f = self.cleaned_data.get("file")
        if not f:
            return None
        # Oversized files are refused by size alone, without reading them into memory.
        data = f.read() if f.size <= settings.HEALTHPM_MAX_UPLOAD_BYTES else b""
        return Upload(name=f.name, data=data, size=f.size)


class SubmitForm(PlainTextForm, forms.Form):
    """The note to compliance; after a rejection also the written response to the reviewer
    (the service refuses a resubmission without one; the field only asks for it on the page)."""

    note = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Note to compliance",
        help_text="Optional.",
    )
    response = forms.CharField(
        max_length=4000, widget=forms.Textarea(attrs={"rows": 3}), label="Response to the reviewer",
        help_text="Required after a rejection: what you changed, or why nothing needed to change.",
    )

    field_order = ["response", "note"]

    def __init__(self, *args, rejection=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.rejection = rejection
        if rejection is None:
            del self.fields["response"]
        else:
            self.fields["response"].label = f"Response to {rejection.decided_by.get_full_name() or rejection.decided_by.username}"
            self.fields["response"].error_messages["required"] = (
                "Write your response to the rejection (what you changed, or why nothing needed to), then resubmit."
            )


class DecisionForm(PlainTextForm, forms.Form):
    decision = forms.ChoiceField(choices=GateDecision.Decision.choices, widget=forms.RadioSelect)
    reason = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required to reject: say what must change.",
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == GateDecision.Decision.REJECTED and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", "Give the reason for rejecting, so the team knows what to change.")
        return cleaned


class ExceptionForm(PlainTextForm, forms.Form):
    text = forms.CharField(
        max_length=2000, widget=forms.Textarea(attrs={"rows": 3}), label="Written exception",
        help_text="Why launch may go ahead despite the finding, and what limits it (a cap, a review date).",
    )


class TableImportForm(forms.Form):
    """A spreadsheet to import into one of a gate's tables (read and previewed, not yet applied)."""

    file = forms.FileField(label="Spreadsheet (.xlsx or .csv)",
                           error_messages={"required": "Choose the spreadsheet to import (.xlsx or .csv).",
                                           "empty": "The file is empty: download the template or export the "
                                                    "table, fill it in and upload that file."})

    def clean_file(self):
        file = self.cleaned_data["file"]
        limit = settings.HEALTHPM_MAX_UPLOAD_BYTES
        if file.size > limit:
            raise forms.ValidationError(f"“{file.name}” is larger than {limit // 1_048_576} MB: split the table or "
                                        "leave out columns the import does not read.")
        return file

    def upload(self) -> Upload:
        file = self.cleaned_data["file"]
        return Upload(name=file.name, data=file.read(), size=file.size)
