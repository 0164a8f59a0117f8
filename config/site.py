"""What each app contributes to the shared pages, in the order shown: the one place that lists the apps.

- The menu: each app's `navigation.nav_items(request) -> [{"url", "label"(, "current")}]`, only what the user may
  open (the views still check access; the menu only avoids dead ends).
- The home page: each app's `home.home_section(request) -> dict | None`, rendered by `templates/<app>/_home.html`
  as `section` (None: nothing to show this user), and `home.GENERATION`, the change generation of what it shows
  (core/generations.py): the rendered page is cached under all of them (config/home.py). A section that shows
  patient contacts names them in `section["shown"]` (referrals.list_cache.Shown), for the access log.
- Demo data: each app's `demo.seed(stdout)`, run by `manage.py seed_demo` after the organisation and its users.
"""

from accounts import demo as accounts_demo
from privacy import navigation as privacy_navigation
from referrals import demo as referrals_demo
from referrals import home as referrals_home
from referrals import navigation as referrals_navigation
from registry import demo as registry_demo
from registry import home as registry_home
from registry import navigation as registry_navigation
from reports import demo as reports_demo
from reports import home as reports_home
from reports import navigation as reports_navigation

MENU = [
    registry_navigation.nav_items,
    referrals_navigation.nav_items,
    reports_navigation.nav_items,
    privacy_navigation.nav_items,
]

# (name, the app's home module); the section's template is templates/<name>/_home.html.
HOME_SECTIONS = [
    ("referrals", referrals_home),
    ("reports", reports_home),
    ("registry", registry_home),
]

DEMO_SEEDS = [accounts_demo.seed, registry_demo.seed, referrals_demo.seed, reports_demo.seed]
