"""Login lockout by user name AND client address together, with a looser limit per address.

django-axes compares one failure count with one limit. Locking by user name alone let anyone lock a real user out
for an hour with five wrong passwords from anywhere; locking by address alone would lock a whole hospital behind
one outside address because of one person's typing. So:

- a user name from one address is locked after AXES_FAILURE_LIMIT (5) failures: the same name from another address
  (the real user at their own PC) still logs in;
- an address is locked, for every user name, after AXES_ADDRESS_FAILURE_LIMIT (30) failures in all: one machine
  cannot try passwords across many names.

The address count is scaled onto django-axes' single limit, so axes' own lockout decision, signals and lockout page
work unchanged.
"""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_ip_address, get_client_username, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


def _failures(**filters) -> int:
    return AccessAttempt.objects.filter(**filters).aggregate(total=Sum("failures_since_start"))["total"] or 0


class NameAndAddressHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None) -> int:
        # As django-axes' own count does: attempts older than the cool-off period are forgotten first.
        self.clean_expired_user_attempts(request, credentials)
        username = get_client_username(request, credentials)
        address = getattr(request, "axes_ip_address", None) or get_client_ip_address(request)
        limit = get_failure_limit(request, credentials)
        pair = _failures(username=username, ip_address=address) if username else 0
        from_address = _failures(ip_address=address)
        # Reaches `limit` exactly when the address reaches its own limit.
        scaled = from_address * limit // max(settings.AXES_ADDRESS_FAILURE_LIMIT, 1)
        return max(pair, scaled)
