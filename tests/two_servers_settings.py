"""Production settings for the two app servers of tests/test_ops_two_servers.py, with plain static files (no
collectstatic manifest in a test run) and fast password hashing. Cache and sessions come from CACHE_URL (Redis)."""

from config.settings import *  # noqa: F403

STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The test speaks plain HTTP to the servers (in production a TLS proxy is in front), so cookies may not be Secure.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
