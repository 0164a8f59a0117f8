"""Timing one page through Django's full middleware stack, for the per-area benchmark scripts."""

import time


def timed(client, url: str) -> tuple[float, int]:
    """(seconds, queries) of one GET of `url`; anything but a 200 stops the benchmark."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - start
    assert response.status_code == 200, (url, response.status_code)
    return elapsed, len(queries)
