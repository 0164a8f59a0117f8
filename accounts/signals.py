"""Messages around logging in and out."""

from django.contrib import messages
from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver
from django.utils.translation import gettext as _


@receiver(user_logged_out, dispatch_uid="accounts_logged_out_message")
def tell_the_user_they_are_logged_out(sender, request, user, **kwargs):
    # The session is flushed right after this signal; the message waits in memory until the message
    # middleware stores it (in a cookie, as the session is empty) with the redirect to the login page.
    if request is not None and hasattr(request, "_messages"):
        messages.success(request, _("You are logged out."))
