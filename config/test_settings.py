"""Test overrides: fast hashing, predictable keys, no HTTPS redirect."""

import os

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "test-secret-key-that-is-long-enough-for-tests-1234567890")
os.environ.setdefault("PSEUDONYM_KEY", "test-pseudonym-key")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("REQUIRE_2FA", "false")

from config.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# Tests read the English source strings; tests/test_i18n.py checks that Norwegian
# bokmål is the product's default and that its translations are complete.
LANGUAGE_CODE = "en"
# Tests change registry data without committing, which the page cache cannot see (registry/page_cache.py).
REGISTRY_PAGE_CACHE_SECONDS = 0
SQL_TEMPLATE_CHECKS = True
# Queued tasks (the contact import) run inside the request, as with `make run`.
Q_CLUSTER = {**Q_CLUSTER, "sync": True}  # noqa: F405
# WhiteNoise warns at every request when the collected-files folder does not exist (tests never collect).
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
# Static files answer from the source folders, as `collectstatic` would serve them in production.
WHITENOISE_USE_FINDERS = True
