from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator


class LoginForm(AuthenticationForm):
    """Django's login form; django-axes counts its failures."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # AuthenticationForm sets max_length after the field is built, so no validator enforces it: an over-long
        # user name reached django-axes, whose varchar(255) column made PostgreSQL fail the request (a 500).
        self.fields["username"].validators.append(MaxLengthValidator(self.fields["username"].max_length or 150))
