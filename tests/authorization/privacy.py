"""Authorization table of the privacy app (two-factor pages, patient access report).

The matrix runs with REQUIRE_2FA off and personas without an authenticator; what the two-factor middleware
does when it is on is tested in tests/test_privacy_middleware.py.
"""

from tests.authorization import entry, login_required, only

EXPECTED = {
    "privacy:two_factor_settings": entry(login_required()),
    # Everyone may set up an authenticator for their own account.
    "privacy:two_factor_setup": entry(login_required()),
    # Without an authenticator there is nothing to verify: sent on to the set-up page.
    "privacy:two_factor_verify": entry(login_required(302)),
    # POST only; without an authenticator and a verified session, sent back to the settings page.
    "privacy:recovery_codes_regenerate": entry(login_required(302), method="post"),
    "privacy:patient_access_report": entry(only("administrator")),
}
