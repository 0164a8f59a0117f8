"""HTTP face of the Meeting Guide feed: conditional GET and a stored gzip copy."""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.views.decorators.http import require_http_methods

from registry.feed import get_feed_entry

FEED_MAX_AGE_SECONDS = 60
FEED_CONTENT_TYPE = "application/json; charset=utf-8"


def accepts_gzip(request: HttpRequest) -> bool:
    """True when Accept-Encoding allows gzip: listed (or covered by `*`) with a quality above zero."""
    qualities: dict[str, float] = {}
    for item in request.headers.get("Accept-Encoding", "").split(","):
        coding, _, parameters = item.partition(";")
        quality = 1.0
        name, _, value = parameters.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value)
            except ValueError:
                quality = 0.0
        qualities[coding.strip().lower()] = quality
    for coding in ("gzip", "x-gzip"):
        if coding in qualities:
            return qualities[coding] > 0
    return qualities.get("*", 0.0) > 0


def _cache_headers(response: HttpResponse, *, etag: str, last_modified: float) -> HttpResponse:
    response.headers["ETag"] = etag
    response.headers["Last-Modified"] = http_date(last_modified)
    response.headers["Cache-Control"] = f"public, max-age={FEED_MAX_AGE_SECONDS}"
    response.headers["Vary"] = "Accept-Encoding"
    return response


def _allow_other_origins(response: HttpResponse) -> HttpResponse:
    """Public data meant for other meeting finders' browsers (TSML UI loads the feed from its own site)."""
    if settings.REGISTRY_PUBLIC:
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _preflight() -> HttpResponse:
    """A CORS preflight: which methods and request headers another origin may use, for a day."""
    response = HttpResponse(status=204)
    response.headers["Allow"] = "GET, HEAD, OPTIONS"
    if settings.REGISTRY_PUBLIC:
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "If-None-Match, If-Modified-Since"
        response.headers["Access-Control-Max-Age"] = "86400"
    return _allow_other_origins(response)


@require_http_methods(["GET", "HEAD", "OPTIONS"])
def meeting_feed(request: HttpRequest) -> HttpResponse:
    if request.method == "OPTIONS":
        return _preflight()
    if not settings.REGISTRY_PUBLIC and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    entry = get_feed_entry(base_url=request.build_absolute_uri("/"))
    not_modified = get_conditional_response(request, etag=entry.etag, last_modified=int(entry.last_modified))
    if not_modified is not None:
        return _cache_headers(_allow_other_origins(not_modified), etag=entry.etag, last_modified=entry.last_modified)
    if accepts_gzip(request):
        response = HttpResponse(entry.gzip_body, content_type=FEED_CONTENT_TYPE)
        response.headers["Content-Encoding"] = "gzip"
    elif entry.body_length <= settings.REGISTRY_FEED_WHOLE_BYTES or request.method == "HEAD":
        response = HttpResponse(entry.body if request.method != "HEAD" else b"", content_type=FEED_CONTENT_TYPE)
        response.headers["Content-Length"] = str(entry.body_length)
    else:
        # A large feed is decompressed as it is sent: no worker holds 70 MB of JSON for a client without gzip.
        response = StreamingHttpResponse(entry.plain_chunks(), content_type=FEED_CONTENT_TYPE)
        response.headers["Content-Length"] = str(entry.body_length)
    return _cache_headers(_allow_other_origins(response), etag=entry.etag, last_modified=entry.last_modified)
