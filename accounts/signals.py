"""Messages around logging in and out, and the idle clock of a new session."""

import time

from django.contrib import messages
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import Signal, receiver
from django.utils.translation import gettext as _

from accounts.middleware import REFRESHED_KEY
from accounts.oidc import PROVIDER_SESSION_KEY, SECOND_FACTOR_SESSION_KEY

# Told to the apps above accounts (the privacy app keeps the security log) without importing them.
# Arguments: request, provider (name), user (or None), reason (a short code, never a claim or token).
external_login_refused = Signal()
# Arguments: request, identity (accounts.ExternalIdentity), actor (the user who did it, or None for the person).
external_identity_linked = Signal()
external_identity_removed = Signal()
# Sent inside the transaction that deactivated the account (accounts.services.user_deactivate), so the security
# log's entry is written with it or not at all. Arguments: user, actor (a user or a command name), request, detail.
user_deactivated = Signal()


@receiver(user_logged_in, dispatch_uid="accounts_session_refreshed_at_login")
def start_the_idle_clock(sender, request, user, **kwargs):
    # Logging in saves the session; noting it here spares the next request a save (accounts/middleware.py).
    if request is not None and hasattr(request, "session"):
        request.session[REFRESHED_KEY] = int(time.time())
        # A new login starts without an earlier provider login's marks; the provider callback sets them again.
        request.session.pop(PROVIDER_SESSION_KEY, None)
        request.session.pop(SECOND_FACTOR_SESSION_KEY, None)


@receiver(user_logged_out, dispatch_uid="accounts_logged_out_message")
def tell_the_user_they_are_logged_out(sender, request, user, **kwargs):
    # The session is flushed right after this signal; the message waits in memory until the message
    # middleware stores it (in a cookie, as the session is empty) with the redirect to the login page.
    if request is not None and hasattr(request, "_messages"):
        messages.success(request, _("You are logged out."))
