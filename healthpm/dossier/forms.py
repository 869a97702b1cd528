from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat


class VerifyForm(forms.Form):
    file = forms.FileField(label="Dossier PDF", help_text="The PDF exactly as you received it.")

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        limit = settings.HEALTHPM_MAX_UPLOAD_BYTES
        if upload.size == 0:
            raise forms.ValidationError("The file is empty: choose the dossier PDF you received.")
        if upload.size > limit:
            raise forms.ValidationError(
                f"The file is {filesizeformat(upload.size)}; dossiers are far smaller and uploads stop at "
                f"{filesizeformat(limit)}. Choose the dossier PDF itself."
            )
        return b"".join(upload.chunks())
