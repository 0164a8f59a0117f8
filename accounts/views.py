"""Login (password or identity provider), logout, lockout page and the health check."""

import logging
import math

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.db import connection
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts import demo, forms, oidc, services
from accounts.signals import external_login_refused

logger = logging.getLogger(__name__)
NEXT_SESSION_KEY = "accounts_login_next"


class LoginView(auth_views.LoginView):
    """Django's login view; in demo mode the page lists the demo users and their password."""

    authentication_form = forms.LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if settings.DEMO_MODE:
            context["demo_users"] = demo.demo_users_for_display()
            context["demo_password"] = settings.DEMO_PASSWORD
        context["identity_providers"] = oidc.configured_providers()
        return context


class LogoutView(auth_views.LogoutView):
    """Local logout; after a provider login, also RP-initiated logout at the provider when it advertises it."""

    def post(self, request, *args, **kwargs):
        provider = oidc.provider_named(request.session.get(oidc.PROVIDER_SESSION_KEY) or "")
        response = super().post(request, *args, **kwargs)
        if provider is not None:
            url = oidc.logout_url(provider, request.build_absolute_uri(reverse("login")))
            if url:
                return HttpResponseRedirect(url)
        return response


def _provider_or_404(name: str):
    provider = oidc.provider_named(name)
    if provider is None:
        raise Http404("No such identity provider")
    return provider


def _unavailable(request, provider, where: str):
    # Not an attack: the provider is down or one side is set up wrongly. The operator needs to know, the user
    # needs another way in.
    logger.warning("Identity provider %s unavailable (%s)", provider.name, where)
    messages.error(
        request,
        _(
            "%(provider)s is not answering right now, or the connection to it is not set up correctly. "
            "Try again in a few minutes. If you have a user name and password for this service, you can log in "
            "with them below."
        )
        % {"provider": provider.label},
    )
    return redirect("login")


@require_POST
def oidc_login(request, name):
    """Start a login at the provider: PKCE, state and nonce are kept in the session until the callback."""
    provider = _provider_or_404(name)
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure()):
        request.session[NEXT_SESSION_KEY] = next_url
    callback = request.build_absolute_uri(reverse("oidc_callback", args=[provider.name]))
    try:
        return oidc.login_redirect(request, provider, callback)
    except oidc.ProviderUnavailable as error:
        return _unavailable(request, provider, str(error))


def _refuse(request, provider, reason: str, message: str, user=None):
    external_login_refused.send(
        sender=oidc.LoginFailed, request=request, provider=provider.name, reason=reason, user=user
    )
    logger.warning("Login through %s refused: %s", provider.name, reason)
    messages.error(request, message)
    return redirect("login")


@require_GET
@never_cache
def oidc_callback(request, name):
    """The provider sends the browser back here with a code; the tokens are fetched, checked and dropped."""
    provider = _provider_or_404(name)
    try:
        claims = oidc.login_claims(request, provider)
        user = services.external_login_user(provider=provider, claims=claims, request=request)
    except oidc.ProviderUnavailable as error:
        return _unavailable(request, provider, str(error))
    except oidc.LoginFailed as failure:
        message = _(
            "The login through %(provider)s could not be completed, and you are not logged in. "
            "Try again; if it fails again, contact your administrator."
        ) % {"provider": provider.label}
        return _refuse(request, provider, failure.reason, message)
    except services.LoginRefused as refusal:
        message = _(
            "You logged in at %(provider)s, but that identity has no access to this service. "
            "Ask your administrator for access."
        ) % {"provider": provider.label}
        return _refuse(request, provider, refusal.reason, message)
    next_url = request.session.pop(NEXT_SESSION_KEY, "")
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[oidc.PROVIDER_SESSION_KEY] = provider.name
    # Strong enough at the provider (e.g. HelseID level 4, Entra ID with MFA): the privacy app asks no one-time code.
    request.session[oidc.SECOND_FACTOR_SESSION_KEY] = provider.assurance_met(claims)
    return redirect(next_url or settings.LOGIN_REDIRECT_URL)


def locked_out(request, original_response=None, credentials=None):
    """django-axes' answer once the failure limit is reached (AXES_LOCKOUT_CALLABLE)."""
    cooloff_minutes = math.ceil(float(settings.AXES_COOLOFF_TIME) * 60)
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": cooloff_minutes}
    return render(request, "accounts/locked_out.html", context, status=429)


@never_cache
def healthz(request):
    """Load balancers and monitoring: is this process up, and can it reach the database?"""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception:  # noqa: BLE001 - any database failure means "not ok"
        database = "error"
    status = 200 if database == "ok" else 503
    return JsonResponse({"status": "ok" if status == 200 else "error", "database": database}, status=status)
