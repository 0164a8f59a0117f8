"""Container health check: GET /readyz on this container, with a Host header the app accepts.

Run as `python -m config.healthcheck` (Dockerfile HEALTHCHECK, compose healthchecks). Exit status 0 when the app is
ready (database, cache and migrations: ops/health.py), 1 otherwise.
"""

import os
import sys
import urllib.error
import urllib.request


def allowed_host() -> str:
    """A host name from ALLOWED_HOSTS ('.example.no' allows example.no; '*' allows anything)."""
    for host in os.environ.get("ALLOWED_HOSTS", "").split(","):
        host = host.strip().lstrip(".")
        if host and host != "*":
            return host
    return "localhost"


def main() -> int:
    port = os.environ.get("BIND", "0.0.0.0:8000").rsplit(":", 1)[-1]
    request = urllib.request.Request(f"http://127.0.0.1:{port}/readyz", headers={"Host": allowed_host()})
    try:
        with urllib.request.urlopen(request, timeout=4) as response:  # noqa: S310 - a fixed local URL
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError):
        return 1


if __name__ == "__main__":
    sys.exit(main())
