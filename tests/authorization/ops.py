"""Authorization table of the operations URLs (ops/): readiness and metrics carry no user or patient data.

/metrics answers the test client because its address is 127.0.0.1 (METRICS_ALLOWED_ADDRESSES); other addresses and
the token are in tests/test_ops_metrics.py."""

from tests.authorization import entry, public

EXPECTED = {
    "readyz": entry(public()),
    "metrics": entry(public()),
}
