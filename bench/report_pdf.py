"""The report PDF's server time (issue 15: p50 ≤ 1 s), as a function bench/run.py and bench/reports_bench.py call.

No Django set-up at import: the caller has configured Django and passes a logged-in test client.
"""

import statistics
import time


def report_pdf_times(client, *, month: str, unit: str | None = None, runs: int = 10, warmup: int = 2) -> dict:
    """Time `runs` downloads of one unit's report PDF (after `warmup`), in ms: {"p50", "p95", "min", "runs"}.

    Every PDF is rendered afresh (exports are never cached): compute, disclosure step, chart, WeasyPrint.
    """
    url = f"/reports/export.pdf?month={month}" + (f"&unit={unit}" if unit else "")
    times = []
    for index in range(warmup + runs):
        start = time.perf_counter()
        response = client.get(url, secure=True)  # production settings redirect plain HTTP
        elapsed = (time.perf_counter() - start) * 1000
        assert response.status_code == 200 and response.content.startswith(b"%PDF"), (url, response.status_code)
        if index >= warmup:
            times.append(elapsed)
    times.sort()
    p95 = statistics.quantiles(times, n=20)[18] if len(times) > 1 else times[0]
    return {"p50": statistics.median(times), "p95": p95, "min": times[0], "runs": runs}
