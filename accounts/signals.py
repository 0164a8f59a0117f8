"""Messages around logging in and out, and the idle clock of a new session."""

import time

from django.contrib import messages
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.utils.translation import gettext as _

from accounts.middleware import REFRESHED_KEY


@receiver(user_logged_in, dispatch_uid="accounts_session_refreshed_at_login")
def start_the_idle_clock(sender, request, user, **kwargs):
    # Logging in saves the session; noting it here spares the next request a save (accounts/middleware.py).
    if request is not None and hasattr(request, "session"):
        request.session[REFRESHED_KEY] = int(time.time())


@receiver(user_logged_out, dispatch_uid="accounts_logged_out_message")
def tell_the_user_they_are_logged_out(sender, request, user, **kwargs):
    # The session is flushed right after this signal; the message waits in memory until the message
    # middleware stores it (in a cookie, as the session is empty) with the redirect to the login page.
    if request is not None and hasattr(request, "_messages"):
        messages.success(request, _("You are logged out."))
