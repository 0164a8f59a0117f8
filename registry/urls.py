from django.urls import include, path

from registry import views

app_name = "registry"

urlpatterns = [
    # The Meeting Guide feed (registry-exchange) comes first, so that feed.json is never read as a slug.
    path("", include("registry.feed_urls")),
    path("", views.search, name="search"),
    path("calendar/results.ics", views.search_ics, name="search_ics"),
    path("groups/<int:pk>/", views.group_detail, name="group_detail"),
    path("<slug:slug>.ics", views.meeting_ics, name="meeting_ics"),
    path("<slug:slug>/", views.meeting_detail, name="meeting_detail"),
]
