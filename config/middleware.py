"""Site-wide middleware that needs more than one app."""

from dataclasses import replace

from csp.middleware import CSPMiddleware

from accounts.oidc import provider_origins


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the identity providers' origins added to `form-action`.

    Browsers apply `form-action` to the redirects that follow a form's POST too: the login buttons (POST, then a
    redirect to the provider) and the logout button (POST, then RP-initiated logout at the provider) would be
    blocked by `form-action 'self'` alone.
    """

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        origins = provider_origins()
        if not origins:
            return parts
        update = dict(parts.update or {})
        update["form-action"] = [*update.get("form-action", []), *origins]
        return replace(parts, update=update)
