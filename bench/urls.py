"""The production URLs plus /bench/ok, a bare view to compare throughput against."""

from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as production_urlpatterns


def ok(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/ok", ok, name="bench_ok"), *production_urlpatterns]
