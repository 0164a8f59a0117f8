from django.urls import path

from referrals import handout, import_views, views

app_name = "referrals"

urlpatterns = [
    path("", views.contact_list, name="contact_list"),
    path("new/", views.contact_create, name="contact_create"),
    path("worklist/", views.worklist, name="worklist"),
    path("find/", views.find_patient, name="find_patient"),
    path("lookup/", views.patient_lookup_partial, name="patient_lookup"),
    path("meetings/", views.meeting_search_partial, name="meeting_search"),
    path("<int:pk>/", views.contact_detail, name="contact_detail"),
    path("<int:pk>/edit/", views.contact_edit, name="contact_edit"),
    path("<int:pk>/delete/", views.contact_delete, name="contact_delete"),
    path("<int:pk>/follow-up/", views.follow_up_create_view, name="follow_up_create"),
    path("<int:pk>/follow-up/<int:follow_up_pk>/", views.follow_up_edit, name="follow_up_edit"),
    # Patient handout and the import of contacts from the patient record system.
    path("<int:pk>/handout/", handout.handout, name="handout"),
    path("<int:pk>/handout.pdf", handout.handout_pdf, name="handout_pdf"),
    path("import/", import_views.contact_import, name="import"),
]
