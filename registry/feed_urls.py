"""The feed's URL, included under meetings/ before the registry's own patterns so that feed.json is never a slug."""

from django.urls import path

from registry.feed_views import meeting_feed

urlpatterns = [
    path("feed.json", meeting_feed, name="meeting_feed"),
]
