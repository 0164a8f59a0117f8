from django.urls import path, re_path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.report, name="report"),
    re_path(r"^export\.(?P<fmt>csv|xlsx|html|pdf)$", views.report_export, name="export"),
    path("mine/", views.feedback, name="feedback"),
    path("compare/", views.compare, name="compare"),
    re_path(r"^compare/export\.(?P<fmt>csv|xlsx|html|pdf)$", views.compare_export, name="compare_export"),
    path("targets/", views.targets, name="targets"),
    path("targets/<int:pk>/", views.target_edit, name="target_edit"),
    path("targets/<int:pk>/delete/", views.target_delete, name="target_delete"),
]
