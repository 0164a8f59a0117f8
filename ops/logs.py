"""Logs as JSON, one object per line, and one line per request with its request id and user id.

The request line names the method, the path without its query string (a query could carry a typed reference), the
view, the status, the time taken, the request id and the user's numeric id: never a patient reference, pseudonym or
anything typed into a form. The request id (from a valid incoming X-Request-ID, else new) goes back in the response's
X-Request-ID header and into every other log line written while the request is served.
"""

from __future__ import annotations

import contextvars
import datetime
import json
import logging
import re
import time
import uuid

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# The fields a request line carries besides the message (logger.info(..., extra=...)).
REQUEST_FIELDS = ("method", "path", "view", "status", "duration_ms", "user_id")
request_logger = logging.getLogger("selvhjelp.request")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", "") or request_id_var.get()
        if request_id:
            line["request_id"] = request_id
        line.update({name: getattr(record, name) for name in REQUEST_FIELDS if hasattr(record, name)})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class RequestLogMiddleware:
    """First in MIDDLEWARE: times the whole request, and writes its line when the response is ready."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        request.request_id = request_id
        start = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            self._log(request, response.status_code, time.perf_counter() - start)
            return response
        finally:
            request_id_var.reset(token)

    @staticmethod
    def _log(request, status: int, seconds: float) -> None:
        user = getattr(request, "user", None)
        match = getattr(request, "resolver_match", None)
        fields = {
            "method": request.method,
            "path": request.path,
            "view": match.view_name if match else "",
            "status": status,
            "duration_ms": round(seconds * 1000, 1),
            "user_id": user.pk if user is not None and user.is_authenticated else None,
        }
        request_logger.info("%s %s %s", request.method, request.path, status, extra=fields)
        from ops import metrics

        metrics.observe_request(fields["view"] or "unresolved", request.method, status, seconds)
