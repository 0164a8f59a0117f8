"""The curators' workplace: groups and meetings, with filters, bulk actions, duplicate warnings and history.

Curators and administrators only (django's per-model permissions are not used: the roles decide). Every save and
bulk action goes through registry.services, so it is validated the same way as an import and leaves a change
history entry with who and when, which the "History" button shows field by field.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Concat
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyMixin, adopt_saved
from core.freshness import is_stale, stale_q
from core.roles import is_administrator, is_curator
from registry import admin_import, schedule, selectors, services
from registry.models import (
    County,
    Fellowship,
    Group,
    Meeting,
    MeetingType,
    Municipality,
    PostalCode,
    Recurrence,
    Status,
    Weekday,
)

HISTORY_PAGE_SIZE = 50


# Who may do what ----------------------------------------------------------------------------------------------


class CuratorMixin:
    """Curators and administrators edit; only administrators delete (curators mark entries inactive)."""

    def has_module_permission(self, request):
        return is_curator(request.user)

    def has_view_permission(self, request, obj=None):
        return is_curator(request.user)

    def has_add_permission(self, request, *args):
        return is_curator(request.user)

    def has_change_permission(self, request, obj=None):
        return is_curator(request.user)

    def has_delete_permission(self, request, obj=None):
        return is_administrator(request.user)


class ReferenceDataMixin(ReadOnlyMixin, CuratorMixin):
    """Loaded by migrations from registry/data; read-only for everyone in the admin."""


# Change history ---------------------------------------------------------------------------------------------


def _history_rows(entry) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """(field, before, after) rows and (relation, operation, objects) rows of one log entry, for display."""
    changes = entry.changes_dict or {}
    m2m = [(name, change) for name, change in changes.items() if isinstance(change, dict) and change.get("type")]
    model = entry.content_type.model_class()
    relation_rows = []
    for name, change in m2m:
        try:
            label = str(model._meta.get_field(name).verbose_name)
        except Exception:  # noqa: BLE001 - a field removed since the entry was written keeps its raw name
            label = name
        operations = {"add": gettext("added"), "delete": gettext("removed")}
        operation = operations.get(change["operation"], change["operation"])
        relation_rows.append((label, operation, ", ".join(str(o) for o in change.get("objects", []))))
    field_rows = []
    if len(m2m) < len(changes):
        for label, values in entry.changes_display_dict.items():
            if isinstance(values, list | tuple) and len(values) == 2:
                before, after = ("" if v in (None, "None") else str(v) for v in values)
                field_rows.append((str(label), before, after))
    return field_rows, relation_rows


class HistoryMixin:
    """Replace the admin's own "History" page with django-auditlog's field-by-field record."""

    class Media:
        css = {"all": ["css/registry-admin.css"]}

    history_template = "registry/admin/history.html"

    def history_entries(self, obj):
        from auditlog.models import LogEntry

        return LogEntry.objects.get_for_object(obj)

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        entries = self.history_entries(obj).select_related("actor", "content_type").order_by("-timestamp", "-pk")
        page = Paginator(entries, HISTORY_PAGE_SIZE).get_page(request.GET.get("p"))
        rows = []
        for entry in page.object_list:
            fields, relations = _history_rows(entry)
            rows.append({"entry": entry, "fields": fields, "relations": relations})
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Change history: %(object)s") % {"object": obj},
            "subtitle": None,
            "object": obj,
            "opts": self.opts,
            "page": page,
            "rows": rows,
            "show_object_column": getattr(self, "history_shows_related", False),
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.history_template, context)


# Hostile input ------------------------------------------------------------------------------------------------


class TolerantAutocompleteMixin:
    """Drop submitted values the related key cannot hold before looking them up.

    Django's autocomplete widget re-renders a refused form by querying the submitted values as they are, so a
    crafted `group=abc` would otherwise end in a 500 instead of the form's own "select a valid choice".
    """

    def optgroups(self, name, value, attr=None):
        target = self.field.target_field
        kept = []
        for item in value:
            try:
                parsed = target.to_python(item)
            except (ValidationError, TypeError, ValueError):
                continue
            if isinstance(parsed, int) and not -(2**63) <= parsed < 2**63:
                continue
            if isinstance(parsed, str) and "\x00" in parsed:  # PostgreSQL refuses NUL in text keys (municipality)
                continue
            kept.append(item)
        return super().optgroups(name, kept, attr)


class TolerantAutocompleteSelect(TolerantAutocompleteMixin, AutocompleteSelect):
    pass


class TolerantAutocompleteSelectMultiple(TolerantAutocompleteMixin, AutocompleteSelectMultiple):
    pass


class TolerantAutocompleteAdminMixin:
    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = TolerantAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = TolerantAutocompleteSelectMultiple(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)


# Filters ------------------------------------------------------------------------------------------------------


class VerifiedFilter(admin.SimpleListFilter):
    title = _("verification")
    parameter_name = "verified"

    def lookups(self, request, model_admin):
        return [("stale", _("Not verified in 6 months")), ("fresh", _("Verified in the last 6 months"))]

    def queryset(self, request, queryset):
        if self.value() == "stale":
            return queryset.filter(stale_q())
        if self.value() == "fresh":
            return queryset.exclude(stale_q())
        return queryset


class DuplicateFilter(admin.SimpleListFilter):
    title = _("possible duplicates")
    parameter_name = "duplicate"

    def lookups(self, request, model_admin):
        return [("yes", _("Same group, weekday and time as another active meeting"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(has_duplicate=True, status=Status.ACTIVE)
        return queryset


# Meetings -----------------------------------------------------------------------------------------------------


class MeetingForm(forms.ModelForm):
    """The slug may be left empty: it is then made from the name, unique and URL-safe."""

    class Meta:
        model = Meeting
        # The admin narrows this to its fieldsets or inline fields.
        fields = [f.name for f in Meeting._meta.get_fields() if getattr(f, "editable", False) and not f.auto_created]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "slug" in self.fields:
            self.fields["slug"].required = False
            self.fields["slug"].help_text = _("Stable key used by feeds and imports. Leave empty to make one.")

    # Mainland Norway, Svalbard and Jan Mayen, with a margin: a pin outside is a typing error or swapped values.
    NORWAY_LATITUDES, NORWAY_LONGITUDES = (57.5, 81.5), (-9.5, 34.0)

    def clean_latitude(self):
        return self._inside("latitude", self.NORWAY_LATITUDES)

    def clean_longitude(self):
        return self._inside("longitude", self.NORWAY_LONGITUDES)

    def _inside(self, name: str, limits: tuple[float, float]):
        value = self.cleaned_data.get(name)
        if value is not None and not limits[0] <= value <= limits[1]:
            raise forms.ValidationError(
                _("%(value)s is outside Norway (%(low)s to %(high)s). Are latitude and longitude swapped?"),
                params={"value": value, "low": limits[0], "high": limits[1]},
            )
        return value

    def clean(self):
        cleaned = super().clean()
        if "slug" in self.fields and not cleaned.get("slug") and cleaned.get("name") and "slug" not in self.errors:
            place = cleaned.get("municipality")
            cleaned["slug"] = services.unique_slug(
                cleaned["name"], place.name if place else "", exclude_pk=self.instance.pk
            )
        return cleaned


def _service_data(form, *, fields) -> dict:
    """Field values from a valid admin form, for registry.services."""
    names = form.changed_data if form.instance.pk else list(form.cleaned_data)
    return {name: form.cleaned_data[name] for name in names if name in fields}


MEETING_DATA_FIELDS = services.MEETING_FIELDS | {"types"}
GROUP_DATA_FIELDS = services.GROUP_FIELDS


def warn_about(request, meeting: Meeting, *, submitted_types=None) -> None:
    """Admin messages for things a curator should look at, but that do not block the save."""
    codes = {t.code for t in submitted_types or []}
    if schedule.OPEN in codes and schedule.CLOSED in codes:
        messages.warning(
            request,
            gettext("%(meeting)s was marked both open and closed; closed wins, so it is saved as closed.")
            % {"meeting": meeting},
        )
    if meeting.status == Status.ACTIVE:
        twins = list(selectors.duplicates_of(meeting).values_list("name", "slug")[:5])
        if twins:
            messages.warning(
                request,
                gettext(
                    "%(meeting)s: another active meeting of the same group is on the same weekday at the same "
                    "time (%(others)s). Check that it is not a duplicate."
                )
                % {"meeting": meeting, "others": ", ".join(f"{name} [{slug}]" for name, slug in twins)},
            )


@admin.register(Meeting)
class MeetingAdmin(TolerantAutocompleteAdminMixin, HistoryMixin, CuratorMixin, admin.ModelAdmin):
    form = MeetingForm
    list_display = [
        "name",
        "group_link",
        "fellowship",
        "when",
        "municipality",
        "attendance_mode",
        "status",
        "freshness",
        "duplicate_warning",
    ]
    list_select_related = ["group__fellowship", "municipality"]
    list_filter = [
        ("group__fellowship", admin.RelatedOnlyFieldListFilter),
        ("municipality__county", admin.RelatedFieldListFilter),
        ("municipality", admin.RelatedOnlyFieldListFilter),
        "weekday",
        "status",
        "attendance_mode",
        VerifiedFilter,
        DuplicateFilter,
    ]
    search_fields = ["name", "slug", "group__name", "venue", "address", "postal_code", "municipality__name"]
    autocomplete_fields = ["group", "municipality", "types"]
    readonly_fields = ["last_verified_at", "last_verified_by", "source", "created_at", "updated_at"]
    list_per_page = 50
    show_full_result_count = False
    ordering = ["name", "pk"]
    fieldsets = [
        (None, {"fields": ["group", "name", "slug", "status"]}),
        (
            _("Schedule (Oslo time)"),
            {
                "fields": [
                    ("weekday", "start_time", "end_time"),
                    "recurrence",
                    ("anchor_date", "week_of_month"),
                    ("valid_from", "valid_to"),
                ],
                "description": _(
                    "Every other week: give one date it is held. Monthly: give the week of the month. "
                    "An end time before the start time means the meeting ends after midnight."
                ),
            },
        ),
        (
            _("Place"),
            {
                "fields": [
                    "attendance_mode",
                    "venue",
                    "address",
                    ("postal_code", "municipality"),
                    ("latitude", "longitude"),
                    "location_notes",
                ],
                "description": _(
                    "The map pin: latitude and longitude in decimal degrees (e.g. 58.14671 and 7.99560, from the "
                    "address in any map service). Without them the feed and the map use the municipality centre, "
                    "marked as approximate."
                ),
            },
        ),
        (
            _("Online"),
            {"fields": [("conference_url", "conference_url_notes"), ("conference_phone", "conference_phone_notes")]},
        ),
        (_("About the meeting"), {"fields": ["types", "languages", "notes"]}),
        (
            _("Verification"),
            {"fields": [("last_verified_at", "last_verified_by"), "source", ("created_at", "updated_at")]},
        ),
    ]
    actions = [
        "mark_verified",
        "mark_active",
        "mark_temporarily_closed",
        "mark_inactive",
        admin_import.export_meetings_csv,
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(has_duplicate=selectors.has_duplicate_expression())

    def get_urls(self):
        return admin_import.admin_urls(self.admin_site) + super().get_urls()

    @admin.display(description=_("group"), ordering="group__name")
    def group_link(self, meeting):
        url = reverse("admin:registry_group_change", args=[meeting.group_id])
        return format_html('<a href="{}">{}</a>', url, meeting.group.name)

    @admin.display(description=_("fellowship"), ordering="group__fellowship__code")
    def fellowship(self, meeting):
        return meeting.group.fellowship.code

    @admin.display(description=_("when"), ordering=Concat("weekday", "start_time"))
    def when(self, meeting):
        text = f"{Weekday(meeting.weekday).label} {meeting.start_time.strftime('%H:%M')}"
        if meeting.recurrence != Recurrence.WEEKLY:
            text = f"{text} ({meeting.get_recurrence_display().lower()})"
        return text

    @admin.display(description=_("last verified"), ordering="last_verified_at")
    def freshness(self, meeting):
        if meeting.is_stale:
            label = gettext("Not verified in 6 months")
            if meeting.last_verified_at:
                return format_html(
                    '<strong class="registry-stale">{}</strong> ({})',
                    label,
                    timezone.localtime(meeting.last_verified_at).date(),
                )
            return format_html('<strong class="registry-stale">{}</strong>', label)
        return timezone.localtime(meeting.last_verified_at).date()

    @admin.display(description=_("warnings"))
    def duplicate_warning(self, meeting):
        if getattr(meeting, "has_duplicate", False) and meeting.status == Status.ACTIVE:
            return format_html('<strong class="registry-duplicate">⚠ {}</strong>', gettext("Same time as another"))
        return mark_safe("<span></span>")  # noqa: S308 - a constant; "" would show as "-"

    def save_model(self, request, obj, form, change):
        data = _service_data(form, fields=MEETING_DATA_FIELDS)
        if change:
            services.meeting_update(meeting=obj, data=data, actor=request.user)
        else:
            adopt_saved(obj, services.meeting_create(data=data, actor=request.user))
        warn_about(request, obj, submitted_types=form.cleaned_data.get("types"))

    def save_related(self, request, form, formsets, change):
        # Types were saved by the service (with the closed-wins rule); only formsets remain.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def _status_action(self, request, queryset, status):
        changed = services.set_status(meetings=queryset, status=status, actor=request.user)
        label = Status(status).label
        self.message_user(
            request,
            ngettext("%(count)d meeting marked “%(status)s”.", "%(count)d meetings marked “%(status)s”.", changed)
            % {"count": changed, "status": label},
            messages.SUCCESS,
        )

    @admin.action(description=_("Mark selected meetings as verified today"))
    def mark_verified(self, request, queryset):
        count = services.mark_verified(meetings=queryset, actor=request.user)
        self.message_user(
            request,
            ngettext("%(count)d meeting marked verified.", "%(count)d meetings marked verified.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Mark selected meetings as active"))
    def mark_active(self, request, queryset):
        self._status_action(request, queryset, Status.ACTIVE)

    @admin.action(description=_("Mark selected meetings as temporarily closed"))
    def mark_temporarily_closed(self, request, queryset):
        self._status_action(request, queryset, Status.TEMPORARILY_CLOSED)

    @admin.action(description=_("Mark selected meetings as inactive"))
    def mark_inactive(self, request, queryset):
        self._status_action(request, queryset, Status.INACTIVE)


# Groups -------------------------------------------------------------------------------------------------------


class MeetingInline(TolerantAutocompleteAdminMixin, admin.StackedInline):
    """The group's meetings on the group's page, with what a new meeting needs; the rest on the meeting's page."""

    model = Meeting
    form = MeetingForm
    fields = [
        ("name", "status"),
        ("weekday", "start_time", "end_time"),
        ("attendance_mode", "venue"),
        ("address", "municipality"),
        "conference_url",
    ]
    autocomplete_fields = ["municipality"]
    show_change_link = True
    extra = 1
    ordering = ["weekday", "start_time"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("municipality")

    def has_view_permission(self, request, obj=None):
        return is_curator(request.user)

    def has_add_permission(self, request, obj=None):
        return is_curator(request.user)

    def has_change_permission(self, request, obj=None):
        return is_curator(request.user)

    def has_delete_permission(self, request, obj=None):
        return is_administrator(request.user)


@admin.register(Group)
class GroupAdmin(TolerantAutocompleteAdminMixin, HistoryMixin, CuratorMixin, admin.ModelAdmin):
    list_display = ["name", "fellowship", "municipality", "status", "meeting_count", "freshness"]
    list_select_related = ["fellowship", "municipality"]
    list_filter = [
        ("fellowship", admin.RelatedOnlyFieldListFilter),
        ("municipality__county", admin.RelatedFieldListFilter),
        ("municipality", admin.RelatedOnlyFieldListFilter),
        "status",
        VerifiedFilter,
    ]
    search_fields = ["name", "municipality__name", "fellowship__code", "fellowship__name"]
    autocomplete_fields = ["fellowship", "municipality"]
    readonly_fields = ["last_verified_at", "last_verified_by", "created_at", "updated_at"]
    fields = [
        "name",
        "fellowship",
        "municipality",
        "status",
        "contact",
        "website",
        "notes",
        ("last_verified_at", "last_verified_by"),
        ("created_at", "updated_at"),
    ]
    inlines = [MeetingInline]
    list_per_page = 50
    show_full_result_count = False
    actions = ["mark_verified", "mark_active", "mark_inactive"]
    # The group's history also shows its meetings' changes.
    history_shows_related = True

    def get_queryset(self, request):
        # A correlated count, so the list's COUNT(*) needs no join and no GROUP BY.
        active_meetings = (
            Meeting.objects.filter(group=OuterRef("pk"), status=Status.ACTIVE)
            .order_by()
            .values("group")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return super().get_queryset(request).annotate(meeting_count=Coalesce(Subquery(active_meetings), 0))

    def history_entries(self, obj):
        from auditlog.models import LogEntry

        meeting_ids = list(obj.meetings.values_list("pk", flat=True))
        return LogEntry.objects.filter(
            Q(content_type=ContentType.objects.get_for_model(Group), object_id=obj.pk)
            | Q(content_type=ContentType.objects.get_for_model(Meeting), object_id__in=meeting_ids)
        )

    @admin.display(description=_("active meetings"), ordering="meeting_count")
    def meeting_count(self, group):
        return group.meeting_count

    @admin.display(description=_("last verified"), ordering="last_verified_at")
    def freshness(self, group):
        if is_stale(group.last_verified_at):
            return format_html('<strong class="registry-stale">{}</strong>', gettext("Not verified in 6 months"))
        return timezone.localtime(group.last_verified_at).date()

    def save_model(self, request, obj, form, change):
        data = _service_data(form, fields=GROUP_DATA_FIELDS)
        if change:
            services.group_update(group=obj, data=data, actor=request.user)
        else:
            adopt_saved(obj, services.group_create(data=data, actor=request.user))

    def save_formset(self, request, form, formset, change):
        if formset.model is not Meeting:
            return super().save_formset(request, form, formset, change)
        # As BaseModelFormSet.save(), but each meeting through the services; the admin's change message reads
        # new_objects, changed_objects and deleted_objects afterwards.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.initial_forms:
            if inline_form in formset.deleted_forms and self.has_delete_permission(request):
                formset.deleted_objects.append(inline_form.instance)
                inline_form.instance.delete()
        for inline_form in formset.forms:
            if inline_form in formset.deleted_forms or not inline_form.has_changed():
                continue
            data = _service_data(inline_form, fields=MEETING_DATA_FIELDS)
            data["group"] = form.instance
            if inline_form.instance.pk:
                meeting = services.meeting_update(meeting=inline_form.instance, data=data, actor=request.user)
                formset.changed_objects.append((meeting, inline_form.changed_data))
            else:
                meeting = services.meeting_create(data=data, actor=request.user)
                inline_form.instance = meeting
                formset.new_objects.append(meeting)
            warn_about(request, meeting)

    @admin.action(description=_("Mark selected groups and their meetings as verified today"))
    def mark_verified(self, request, queryset):
        count = services.mark_verified(groups=queryset, actor=request.user)
        self.message_user(
            request,
            ngettext("%(count)d entry marked verified.", "%(count)d entries marked verified.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Mark selected groups as active"))
    def mark_active(self, request, queryset):
        count = services.group_set_status(groups=queryset, status=Status.ACTIVE, actor=request.user)
        self.message_user(request, gettext("%(count)d groups changed.") % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Mark selected groups as inactive"))
    def mark_inactive(self, request, queryset):
        count = services.group_set_status(groups=queryset, status=Status.INACTIVE, actor=request.user)
        self.message_user(request, gettext("%(count)d groups changed.") % {"count": count}, messages.SUCCESS)


# Fellowships and vocabularies -----------------------------------------------------------------------------------


@admin.register(Fellowship)
class FellowshipAdmin(HistoryMixin, CuratorMixin, admin.ModelAdmin):
    list_display = ["code", "name", "twelve_step", "website", "group_count"]
    search_fields = ["code", "name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(group_count=Count("groups"))

    @admin.display(description=_("groups"), ordering="group_count")
    def group_count(self, fellowship):
        return fellowship.group_count


@admin.register(MeetingType)
class MeetingTypeAdmin(HistoryMixin, CuratorMixin, admin.ModelAdmin):
    """The Meeting Guide codes are fixed by the spec; curators may improve the Norwegian labels."""

    list_display = ["code", "name_nb", "english_name"]
    search_fields = ["code", "name_nb", "name_en"]
    list_per_page = 100

    def get_fields(self, request, obj=None):
        return ["code", "name_nb", "english_name"] if obj else ["code", "name_nb", "name_en"]

    def get_readonly_fields(self, request, obj=None):
        return ["code", "english_name"] if obj else []

    @admin.display(description=MeetingType._meta.get_field("name_en").verbose_name, ordering="name_en")
    def english_name(self, obj):
        """The spec's English name, marked as English on a Norwegian page (WCAG 3.1.2, language of parts)."""
        return format_html('<span lang="en">{}</span>', obj.name_en)

    def has_add_permission(self, request, *args):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(County)
class CountyAdmin(ReferenceDataMixin, admin.ModelAdmin):
    list_display = ["number", "name", "other_names"]
    search_fields = ["number", "name"]


@admin.register(Municipality)
class MunicipalityAdmin(ReferenceDataMixin, admin.ModelAdmin):
    list_display = ["number", "name", "county", "latitude", "longitude"]
    list_select_related = ["county"]
    list_filter = ["county"]
    search_fields = ["number", "name", "other_names"]
    ordering = ["name", "number"]


@admin.register(PostalCode)
class PostalCodeAdmin(ReferenceDataMixin, admin.ModelAdmin):
    list_display = ["code", "place", "municipality"]
    list_select_related = ["municipality"]
    search_fields = ["code", "place", "municipality__name"]
    show_full_result_count = False
