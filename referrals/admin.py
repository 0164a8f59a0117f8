"""The access log in the admin: administrators search it; nobody can add, change or delete an entry.

Patient contacts and follow-ups are deliberately not in the admin. Administrators have no
work-related need to read patient-level data (Normen: access on need, in one's own unit); what
they need is the log of who read or wrote which record, which names the record by number and
unit. Clinicians and unit leads correct and delete contacts on the clinician screens, through
the same services and with the same access log.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.access import is_administrator
from referrals import audit
from referrals.models import AccessLogEntry
from referrals.pseudonyms import fingerprint, pseudonym_for

PATIENT_SEARCH_LIMIT = 1000


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "user_link", "action", "unit", "object_description", "patient", "client_address", "detail"]
    list_filter = ["action", ("at", admin.DateFieldListFilter), "unit", "user"]
    search_fields = ["username", "object_description", "detail", "client_address"]
    list_select_related = ["unit"]
    list_per_page = 100
    # Counting a log of millions of rows twice per page is wasted work.
    show_full_result_count = False
    actions = None
    fields = [
        "at",
        "username",
        "user",
        "action",
        "unit",
        "contact_id",
        "object_description",
        "patient",
        "client_address",
        "detail",
    ]
    readonly_fields = fields
    change_list_template = "admin/referrals/accesslogentry/change_list.html"

    # Append-only: no add, change or delete for anyone, superusers included.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return is_administrator(request.user)

    def has_module_permission(self, request):
        return is_administrator(request.user)

    @admin.display(description=_("user"), ordering="username")
    def user_link(self, entry):
        if entry.user_id is None:
            return entry.username
        url = reverse("admin:referrals_accesslogentry_changelist") + f"?user__id__exact={entry.user_id}"
        return format_html('<a href="{}">{}</a>', url, entry.username)

    @admin.display(description=_("patient code"))
    def patient(self, entry):
        return fingerprint(entry.patient_pseudonym) if entry.patient_pseudonym else "—"

    def get_urls(self):
        return [
            path(
                "patient/",
                self.admin_site.admin_view(self.patient_access_view),
                name="referrals_accesslogentry_patient",
            ),
            *super().get_urls(),
        ]

    def patient_access_view(self, request):
        """All access to one patient's records: the typed reference is hashed, never stored or shown.

        A POST form, so the reference never lands in a URL, browser history or server log. The
        search itself is logged, since it reveals which records concern the patient.
        """
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("All access to one patient's records"),
            "limit": PATIENT_SEARCH_LIMIT,
        }
        if request.method == "POST":
            reference = request.POST.get("patient_reference", "")
            try:
                pseudonym = pseudonym_for(reference)
            except ValidationError as error:
                context["error"] = " ".join(error.messages)
            else:
                entries = list(
                    AccessLogEntry.objects.about_patient(pseudonym)
                    .select_related("unit")
                    .order_by("-at", "-id")[: PATIENT_SEARCH_LIMIT + 1]
                )
                audit.log_access(
                    user=request.user,
                    action=audit.Action.LOOKUP,
                    request=request,
                    pseudonym=pseudonym,
                    detail="access log search by patient",
                )
                context.update(
                    {
                        "searched": True,
                        "entries": entries[:PATIENT_SEARCH_LIMIT],
                        "truncated": len(entries) > PATIENT_SEARCH_LIMIT,
                        "patient_code": fingerprint(pseudonym),
                    }
                )
        return TemplateResponse(request, "admin/referrals/accesslogentry/patient_access.html", context)
