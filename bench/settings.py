"""Production settings plus a bare "ok" view, for benchmarks only.

gunicorn runs with DJANGO_SETTINGS_MODULE=bench.settings so that the bare view is served by the
same processes, middleware and configuration as the real pages; config.urls stays free of it.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
# Its own collected static files (with the manifest production storage needs), apart from var/staticfiles.
STATIC_ROOT = BASE_DIR / "var" / "bench-static"  # noqa: F405
