from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator

from healthpm.core.forms import PlainTextForm


class LoginForm(PlainTextForm, AuthenticationForm):
    """Django's login form, refusing what cannot be a username before anything is looked up.

    AuthenticationForm sets the username's max_length after the field is built, so no length
    validator runs: a 100,000-character name reached the lockout (django-axes), whose
    username column holds 255, and the login failed with a server error on PostgreSQL.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))
