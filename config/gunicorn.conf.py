"""gunicorn settings shared by `make run`, the Dockerfile and the benchmarks."""

import gc
import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 1))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
# With JSON logs the app writes one line per request itself (ops/logs.py, with request and user ids), so gunicorn's
# access log would only repeat it; GUNICORN_ACCESS_LOG=- turns it on again.
json_logs = os.environ.get("LOG_FORMAT", "plain" if os.environ.get("DEBUG", "").lower() == "true" else "json") == "json"
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "" if json_logs else "-") or None
# The access log keeps paths only: query strings could carry a typed reference.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


# Metrics from every worker (ops/metrics.py): prometheus-client's multiprocess mode keeps each worker's figures in
# files in this folder, emptied when gunicorn starts and told when a worker ends.
prometheus_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def on_starting(server):
    if prometheus_dir:
        os.makedirs(prometheus_dir, exist_ok=True)
        for name in os.listdir(prometheus_dir):
            os.remove(os.path.join(prometheus_dir, name))


def child_exit(server, worker):
    if prometheus_dir:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):
    # What the worker has made by now (the application loaded: Django, its apps and every module they import) lives as
    # long as the worker: moved out of the garbage collector's sight, each collection looks only at what requests
    # made since. Collections took 0.27–0.34 ms of an uncached search's CPU before, 0.20–0.22 ms after (issue 15).
    gc.collect()
    gc.freeze()
