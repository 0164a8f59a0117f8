"""Administration of users, units and memberships. Only administrators (superusers) manage accounts;
curators reach the admin site for the meeting registry but never see these pages."""

from axes.utils import reset as axes_reset
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.db.models import Count, Prefetch
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import ExternalIdentity, Membership, Unit, User
from accounts.services import external_identity_remove, users_deactivate
from core.admin import ReadOnlyMixin

admin.site.site_header = _("Self-help registry: administration")
admin.site.site_title = _("Self-help registry")
admin.site.index_title = _("Administration")
# The side menu halves the width of every list; the breadcrumbs and the index page are enough.
admin.site.enable_nav_sidebar = False
# Roles are the user's flags and unit memberships; Django's permission groups are not used, and in Norwegian they
# were a second "Grupper" next to the meeting registry's groups.
admin.site.unregister(Group)


class AdministratorOnlyMixin:
    """Accounts are the administrators' business, whatever permissions a staff user was given."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request, *args):
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser


class ReadOnlyForAdministratorsMixin(ReadOnlyMixin, AdministratorOnlyMixin):
    """Records written by the product itself (logs, the monthly routine, retention): administrators may read them;
    nobody adds, edits or deletes them through the admin."""


class MembershipInlineForUser(AdministratorOnlyMixin, admin.TabularInline):
    model = Membership
    fk_name = "user"
    fields = ["unit", "role", "created_at"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["unit"]
    extra = 0
    verbose_name = _("unit membership")
    verbose_name_plural = _("unit memberships")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("unit")


class MembershipInlineForUnit(MembershipInlineForUser):
    fk_name = "unit"
    fields = ["user", "role", "created_at"]
    autocomplete_fields = ["user"]
    verbose_name = _("member")
    verbose_name_plural = _("members")

    def get_queryset(self, request):
        return admin.TabularInline.get_queryset(self, request).select_related("user")


class ExternalIdentityInline(ReadOnlyForAdministratorsMixin, admin.TabularInline):
    """The person's identities at identity providers; removed in Administration → Linked identities."""

    model = ExternalIdentity
    fields = ["provider", "issuer", "subject", "linked_at", "last_login_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False


class RoleFilter(admin.SimpleListFilter):
    title = _("role")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return [
            (Membership.Role.CLINICIAN, _("Clinician")),
            (Membership.Role.LEAD, _("Unit lead")),
            ("curator", _("Curator")),
            ("quality_analyst", _("Quality analyst")),
            ("administrator", _("Administrator")),
            ("none", _("No role")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value in (Membership.Role.CLINICIAN, Membership.Role.LEAD):
            return queryset.filter(memberships__role=value).distinct()
        if value == "curator":
            return queryset.filter(is_curator=True)
        if value == "quality_analyst":
            return queryset.filter(is_quality_analyst=True)
        if value == "administrator":
            return queryset.filter(is_superuser=True)
        if value == "none":
            return queryset.filter(
                memberships__isnull=True, is_curator=False, is_quality_analyst=False, is_superuser=False
            )
        return queryset


class UnitFilter(admin.SimpleListFilter):
    """Members of a unit or of any unit below it."""

    title = _("unit")
    parameter_name = "unit"

    def lookups(self, request, model_admin):
        return [(str(unit.pk), f"{'– ' * unit.depth}{unit.name}") for unit in Unit.objects.only("name", "path")]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        unit = Unit.objects.filter(pk=self.value()).first() if self.value().isdigit() else None
        if unit is None:
            return queryset.none()
        return queryset.filter(memberships__unit__path__startswith=unit.path).distinct()


@admin.register(User)
class UserAdmin(AdministratorOnlyMixin, DjangoUserAdmin):
    list_display = ["username", "full_name", "global_roles", "units_and_roles", "last_login", "is_active"]
    list_display_links = ["username", "full_name"]
    list_filter = [RoleFilter, UnitFilter, "is_active"]
    search_fields = [
        "username",
        "first_name",
        "last_name",
        "email",
        "memberships__unit__code",
        "memberships__unit__name",
    ]
    ordering = ["username"]
    inlines = [MembershipInlineForUser, ExternalIdentityInline]
    actions = ["lift_login_block", "deactivate"]
    readonly_fields = ["last_login", "date_joined"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("Personal info"), {"fields": ["first_name", "last_name", "email", "hpr_number"]}),
        (
            _("Global roles"),
            {
                "fields": ["is_active", "is_curator", "is_quality_analyst", "is_superuser"],
                "description": _(
                    "Unit roles (clinician, unit lead) are given as memberships below. "
                    "An administrator (superuser) manages accounts and may do everything."
                ),
            },
        ),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": [
                    "username",
                    "first_name",
                    "last_name",
                    "email",
                    "hpr_number",
                    "usable_password",
                    "password1",
                    "password2",
                ],
            },
        ),
    ]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "is_superuser":
            # In this product a superuser is the administrator role.
            field.label = _("Administrator")
            field.help_text = _("Manages users, units and memberships, and may do everything else.")
        return field

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch("memberships", queryset=Membership.objects.select_related("unit").order_by("unit__path"))
            )
        )

    @admin.display(description=_("name"), ordering="last_name")
    def full_name(self, user):
        return user.get_full_name()

    @admin.display(description=_("global roles"))
    def global_roles(self, user):
        roles = []
        if user.is_superuser:
            roles.append(str(_("Administrator")))
        if user.is_curator:
            roles.append(str(_("Curator")))
        if user.is_quality_analyst:
            roles.append(str(_("Quality analyst")))
        return ", ".join(roles) or "–"

    @admin.display(description=_("units and roles"))
    def units_and_roles(self, user):
        return (
            "; ".join(
                f"{membership.unit.code} ({membership.get_role_display().lower()})"
                for membership in user.memberships.all()
            )
            or "–"
        )

    @admin.action(description=_("Lift log-in block for the selected users"))
    def lift_login_block(self, request, queryset):
        usernames = list(queryset.values_list("username", flat=True))
        for username in usernames:
            axes_reset(username=username)
        self.message_user(
            request,
            ngettext(
                "Log-in block lifted for %(count)d user.", "Log-in block lifted for %(count)d users.", len(usernames)
            )
            % {"count": len(usernames)},
            messages.SUCCESS,
        )

    @admin.action(description=_("Deactivate the selected users"))
    def deactivate(self, request, queryset):
        count = users_deactivate(
            users=queryset.filter(is_active=True),
            actor=request.user,
            request=request,
            detail="Deactivated by an administrator",
        )
        self.message_user(
            request,
            ngettext("%(count)d user deactivated.", "%(count)d users deactivated.", count) % {"count": count},
            messages.SUCCESS,
        )


@admin.register(Unit)
class UnitAdmin(AdministratorOnlyMixin, admin.ModelAdmin):
    list_display = ["tree_name", "code", "kind", "setting", "parent_name", "municipality", "member_count"]
    list_select_related = ["parent", "municipality"]
    list_filter = ["kind", "setting", ("parent", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "code"]
    ordering = ["path"]
    autocomplete_fields = ["parent"]
    fields = ["name", "code", "kind", "setting", "parent", "municipality", "path"]
    readonly_fields = ["path"]
    inlines = [MembershipInlineForUnit]
    list_per_page = 200

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("memberships", distinct=True))

    @admin.display(description=_("name"), ordering="path")
    def tree_name(self, unit):
        return f"{'– ' * unit.depth}{unit.name}"

    @admin.display(description=_("parent"), ordering="parent__path")
    def parent_name(self, unit):
        return unit.parent.name if unit.parent_id else "–"

    @admin.display(description=_("members"), ordering="member_count")
    def member_count(self, unit):
        return unit.member_count


@admin.register(Membership)
class MembershipAdmin(AdministratorOnlyMixin, admin.ModelAdmin):
    list_display = ["user", "unit", "role", "created_at"]
    list_select_related = ["user", "unit"]
    list_filter = ["role", ("unit", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["user__username", "user__first_name", "user__last_name", "unit__code", "unit__name"]
    autocomplete_fields = ["user", "unit"]
    ordering = ["unit__path", "user__username"]


@admin.register(ExternalIdentity)
class ExternalIdentityAdmin(AdministratorOnlyMixin, admin.ModelAdmin):
    """Who logs in through which identity provider. Removing a link makes the next login link again (through the
    provider's chosen claim) or be refused; the removal is in the security log."""

    list_display = ["user", "provider", "subject", "linked_at", "last_login_at"]
    list_select_related = ["user"]
    list_filter = ["provider"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "subject"]
    readonly_fields = ["user", "provider", "issuer", "subject", "linked_at", "last_login_at"]
    fields = readonly_fields
    ordering = ["user__username", "provider"]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        external_identity_remove(identity=obj, actor=request.user, request=request)

    def delete_queryset(self, request, queryset):
        for identity in queryset.select_related("user"):
            external_identity_remove(identity=identity, actor=request.user, request=request)
