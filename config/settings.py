"""Settings for the self-help referral registry, read from the environment.

Development defaults are safe and obvious; with DEBUG off, a missing secret
stops start-up with a message that names the variable.
"""

import urllib.parse
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from accounts.identity_providers import providers_from_env

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)
DEMO_MODE = env.bool("DEMO_MODE", default=DEBUG)


def require_secret(name: str, development_default: str) -> str:
    """A secret from the environment; in production its absence is fatal."""
    value = env.str(name, default="")
    if value:
        return value
    if DEBUG:
        return development_default
    raise ImproperlyConfigured(
        f"The environment variable {name} must be set when DEBUG is off. "
        f"Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )


SECRET_KEY = require_secret("SECRET_KEY", "dev-only-insecure-secret-key-not-for-production")
# Keyed hash of patient references (referrals.pseudonyms). Changing it breaks
# the link between old and new contacts of the same patient.
PSEUDONYM_KEY = require_secret("PSEUDONYM_KEY", "dev-only-pseudonym-key")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "core",
    "accounts",
    "registry",
    "referrals",
    "reports",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Index expressions with operator classes (the registry's trigram indexes); harmless on SQLite.
    "django.contrib.postgres",
    "django_filters",
    "django_htmx",
    "config.apps.AxesConfig",
    "auditlog",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "privacy",
    "config.apps.TaskQueueConfig",
    "ops",
    "config",
]

MIDDLEWARE = [
    # First, so that it times the whole request and writes one log line for each (ops/logs.py).
    "ops.logs.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "accounts.middleware.IdleSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, with the signed-in user kept between requests (accounts/principals.py).
    "accounts.middleware.AuthenticationMiddleware",
    # Cache-Control: private, no-store on every response to a logged-in person.
    "accounts.middleware.PrivateResponseMiddleware",
    # django-otp's, with the session's authenticator kept with the user (accounts/principals.py).
    "privacy.middleware.OTPMiddleware",
    # No page but the two-factor ones until the second factor is given (when REQUIRE_2FA is on).
    "privacy.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # django-csp's, plus the identity providers' origins in form-action (login and logout redirect there).
    "config.middleware.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    # Last, so that it sees the authenticated user and the final response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.product",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHE_URL = env.str("CACHE_URL", default="")
if CACHE_URL:
    CACHES = {"default": env.cache_url("CACHE_URL")}
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    # Database cache: shared by every worker and instance on the same database.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "cache_table",
            # Past MAX_ENTRIES live rows Django deletes a third of them in key order, which would take the meeting
            # feed's generation key (":1:registry:feed:…" sorts first) and so every cached feed and page with it.
            # Expired rows go first; this bound is only reached by a flood of distinct search URLs.
            "OPTIONS": {"MAX_ENTRIES": env.int("CACHE_MAX_ENTRIES", default=50_000)},
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions end after 30 minutes without a request, and when the browser closes.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
# The idle limit: accounts.middleware.IdleSessionMiddleware saves a logged-in session again at most once a
# minute, rather than on every request.
SESSION_REFRESH_SECONDS = env.int("SESSION_REFRESH_SECONDS", default=60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# django-axes: five failures lock a user name from one client address for an hour; thirty failures from one address
# lock that address for every name (accounts/lockout.py, README "Lockout"). Not by user name alone: anyone could lock
# a real user out from anywhere. Not by address alone at five: a hospital's PCs share one outside address.
AXES_HANDLER = "accounts.lockout.NameAndAddressHandler"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_ADDRESS_FAILURE_LIMIT = env.int("AXES_ADDRESS_FAILURE_LIMIT", default=30)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
# The lockout page (HTTP 429) says how long to wait and what else to do.
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
# Failures are forgotten only when the whole login succeeds, second factor included (privacy/signals.py):
# a right password alone must not reset the count of wrong one-time codes.
AXES_RESET_ON_SUCCESS = False
# One-time codes typed on the two-factor page are masked in axes' record of failed attempts.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "code"]
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = env.int("PROXY_COUNT", default=0)

# Login through OpenID Connect providers (HelseID, Microsoft Entra ID, …): README, "Logging in with HelseID or
# Entra ID". Each provider is a button on the login page; password login stays as the break-glass path.
OIDC_PROVIDERS = providers_from_env(env)
# How far the provider's clock may differ from ours when the ID token's times are checked.
OIDC_CLOCK_SKEW_SECONDS = env.int("OIDC_CLOCK_SKEW_SECONDS", default=60)

LANGUAGE_CODE = "nb"
LANGUAGES = [("nb", _("Norwegian Bokmål")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Oslo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "core.storage.StaticFilesStorage"  # whitenoise's, with each address worked out once per process
    },
}

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="selvhjelp@localhost")

# Security headers. HTTPS settings are on whenever DEBUG is off.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]

# The search page's map: Kartverket's open tiles (topographic, web mercator) unless another tile server is set.
# Its origin, and no other, is the one outside host the pages may load images from.
REGISTRY_MAP_TILE_URL = env.str(
    "REGISTRY_MAP_TILE_URL",
    default="https://cache.kartverket.no/v1/wmts/1.0.0/topo/default/webmercator/{z}/{y}/{x}.png",
)
REGISTRY_MAP_ATTRIBUTION = env.str("REGISTRY_MAP_ATTRIBUTION", default="© Kartverket")
_tile_url = urllib.parse.urlsplit(REGISTRY_MAP_TILE_URL)
if _tile_url.scheme not in ("http", "https") or not _tile_url.netloc:
    raise ImproperlyConfigured(f"REGISTRY_MAP_TILE_URL must be an http(s) URL, not {REGISTRY_MAP_TILE_URL!r}.")
MAP_TILE_ORIGIN = f"{_tile_url.scheme}://{_tile_url.netloc}"

# No inline scripts or styles anywhere: every page passes this policy.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", MAP_TILE_ORIGIN],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

# Product settings.
REGISTRY_PUBLIC = env.bool("REGISTRY_PUBLIC", default=True)
# Public registry pages are cached whole for anonymous visitors this long (0: off); edits show at once.
REGISTRY_PAGE_CACHE_SECONDS = env.int("REGISTRY_PAGE_CACHE_SECONDS", default=60)
# Compare every search query compiled once and filled in again (core/sql_templates.py) with its queryset compiled
# afresh, and fail on a difference: on in the tests, off in production, where it would undo the saving.
SQL_TEMPLATE_CHECKS = env.bool("SQL_TEMPLATE_CHECKS", default=False)
# A feed larger than this (about 11,000 meetings) goes to a client without gzip decompressed as it is sent, not whole.
REGISTRY_FEED_WHOLE_BYTES = env.int("REGISTRY_FEED_WHOLE_BYTES", default=8_000_000)
REQUIRE_2FA = env.bool("REQUIRE_2FA", default=not DEMO_MODE)
REPORT_MIN_DENOMINATOR = env.int("REPORT_MIN_DENOMINATOR", default=10)
# How long a unit report's rendered body is shared between requests (reports/report_cache.py); 0 turns it off.
REPORT_CACHE_SECONDS = env.int("REPORT_CACHE_SECONDS", default=60)
# Contact lists and worklists (the filter form, table and pagination) shared between requests (referrals/list_cache.py).
CONTACT_LIST_CACHE_SECONDS = env.int("CONTACT_LIST_CACHE_SECONDS", default=60)
RETENTION_MONTHS = env.int("RETENTION_MONTHS", default=60)
ACCESS_LOG_RETENTION_MONTHS = env.int("ACCESS_LOG_RETENTION_MONTHS", default=120)
ACCOUNT_INACTIVE_DAYS = env.int("ACCOUNT_INACTIVE_DAYS", default=90)
# Two-factor login (privacy app): the name authenticator apps show next to the code.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Selvhjelpsregisteret")
# Restoring a backup with loaddata is not a change to record in the meeting history (privacy app, README).
AUDITLOG_DISABLE_ON_RAW_SAVE = True
DEMO_PASSWORD = "demo-passord-2026"
# Contact import from the patient record system (referrals.importers): larger files must be split.
CONTACT_IMPORT_MAX_BYTES = env.int("CONTACT_IMPORT_MAX_BYTES", default=10 * 1024 * 1024)
CONTACT_IMPORT_MAX_ROWS = env.int("CONTACT_IMPORT_MAX_ROWS", default=100_000)

# Scheduled jobs (ops/jobs.py) run on django-q2's cluster, `python manage.py qcluster` (the compose `worker` service),
# with the database as its queue: no broker beyond the app's own database, on SQLite as on PostgreSQL.
Q_CLUSTER = {
    "name": "selvhjelp",
    "orm": "default",
    "workers": env.int("WORKER_PROCESSES", default=1),
    # The longest job (retention on a large database, or a 100,000-row import) must finish; retry comes after it.
    "timeout": env.int("WORKER_TIMEOUT_SECONDS", default=3600),
    "retry": env.int("WORKER_TIMEOUT_SECONDS", default=3600) + 60,
    "max_attempts": 1,
    # Missed periods are caught up by ops.jobs itself, once; django-q2 must not replay every missed minute.
    "catch_up": False,
    "save_limit": 500,
    "label": _("Task queue"),
    # Run queued tasks (the contact import) inside the request instead of on a worker: `make run` has no worker.
    "sync": env.bool("JOBS_INLINE", default=DEBUG),
}
# The day of the month on which the monthly report for the previous month is e-mailed (1–28), at 06:00 Oslo time.
REPORT_DAY_OF_MONTH = env.int("REPORT_DAY_OF_MONTH", default=5)
if not 1 <= REPORT_DAY_OF_MONTH <= 28:
    raise ImproperlyConfigured("REPORT_DAY_OF_MONTH must be a day from 1 to 28.")
# The site's address in e-mails the jobs send (the curators' weekly list of meetings to verify).
SITE_URL = env.str("SITE_URL", default="http://localhost:8000")
# /metrics: with a token, only `Authorization: Bearer <token>`; without one, only these client addresses.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_ADDRESSES = env.list("METRICS_ALLOWED_ADDRESSES", default=["127.0.0.1", "::1"])

# JSON lines in production (one per request, ops/logs.py), plain text with DEBUG unless LOG_FORMAT says otherwise.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "{asctime} {levelname} {name} {message}", "style": "{"},
        "json": {"()": "ops.logs.JsonFormatter"},
    },
    "handlers": {"stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["stdout"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own request lines can carry query strings; ops.logs writes the request lines instead.
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # Authlib logs PKCE verifiers and request tokens at debug level.
        "authlib": {"level": "WARNING"},
        "django-q": {"level": "WARNING"},
    },
}
