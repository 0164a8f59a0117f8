from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator


class LoginForm(AuthenticationForm):
    """Django's login form; django-axes counts its failures."""

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        # Django sets the user name's max_length after the field is built, so no validator checks it,
        # and an over-long name would reach django-axes, whose record of it is limited to 255 characters.
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length or 150))
