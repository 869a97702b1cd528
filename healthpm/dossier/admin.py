"""The certificates dossiers were signed with, for the administrator to read (rotation history)."""

from django.contrib import admin

from healthpm.core.admin import ReadOnlyAdmin

from .models import SigningCertificate


@admin.register(SigningCertificate)
class SigningCertificateAdmin(ReadOnlyAdmin):
    list_display = ("subject", "issuer", "not_before", "not_after", "first_used_at", "last_used_at", "fingerprint")
    search_fields = ("subject", "issuer", "fingerprint")
    exclude = ("der",)
