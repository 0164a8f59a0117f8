from django.urls import path

from privacy import views

app_name = "privacy"

urlpatterns = [
    path("accounts/2fa/", views.two_factor_settings, name="two_factor_settings"),
    path("accounts/2fa/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("accounts/2fa/verify/", views.two_factor_verify, name="two_factor_verify"),
    path("accounts/2fa/recovery-codes/", views.recovery_codes_regenerate, name="recovery_codes_regenerate"),
    path("privacy/patient-access/", views.patient_access_report, name="patient_access_report"),
]
