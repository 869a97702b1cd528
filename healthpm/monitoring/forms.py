from django import forms
from django.conf import settings


class SampleUploadForm(forms.Form):
    """A CSV or XLSX of samples: metric, period_start, period_end, value, subgroup."""

    file = forms.FileField(label="Samples (.csv or .xlsx)",
                           help_text="Columns: metric, period_start, period_end, value, subgroup (optional). "
                                     "Dates as YYYY-MM-DD; metric as the plan's key, e.g. alert_volume.",
                           error_messages={"required": "Choose the file of samples to upload (.csv or .xlsx).",
                                           "empty": "The file is empty: write a header row and one sample a row."})

    def clean_file(self):
        file = self.cleaned_data["file"]
        limit = settings.HEALTHPM_MAX_UPLOAD_BYTES
        if file.size > limit:
            raise forms.ValidationError(f"“{file.name}” is larger than {limit // 1_048_576} MB: upload fewer samples "
                                        "at a time.")
        return file
