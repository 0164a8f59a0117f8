"""Login receivers: remember whether the person has a second factor, and reset django-axes only on a complete login.

AXES_RESET_ON_SUCCESS is off in settings: a correct password alone must not wipe out the count of wrong one-time
codes, or someone holding the password could guess codes four at a time forever. The failures are forgotten when
the whole login succeeds: here when no second factor is asked for, otherwise in services.second_factor_verify.
"""

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from privacy.services import ENROLLED_SESSION_KEY, has_second_factor, two_factor_required


@receiver(user_logged_in, dispatch_uid="privacy_after_password_login")
def after_password_login(sender, request, user, **kwargs):
    enrolled = has_second_factor(user)
    if request is not None and hasattr(request, "session"):
        request.session[ENROLLED_SESSION_KEY] = enrolled
    if not (enrolled or two_factor_required(user)):
        AxesProxyHandler.reset_attempts(username=user.get_username())
