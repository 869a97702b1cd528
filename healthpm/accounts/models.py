from django.conf import settings
from django.db import models


class SsoIdentity(models.Model):
    """Who an SSO account is at the provider: issuer + subject, the only stable key (OIDC Core 2).

    Never the e-mail alone: providers reuse addresses, and a leaver's address given to a
    newcomer must not hand them the leaver's account and its signatures.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sso_identity")
    issuer = models.CharField(max_length=500)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    last_login_at = models.DateTimeField(null=True, blank=True)
    # Set by the provider's back-channel logout: sessions that began before it end at their next request.
    logged_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "subject"], name="sso_identity_unique_subject")]
        verbose_name = "single sign-on identity"
        verbose_name_plural = "single sign-on identities"

    def __str__(self):
        return f"{self.user} ({self.subject} at {self.issuer})"
