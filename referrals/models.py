"""Pseudonymous patient contacts, their referral to self-help groups, follow-ups, and the access log.

One PatientContact row is one eligible contact (or episode) of one patient in one unit; the
referral fields live on it because a contact has exactly one referral decision.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models
from django.db.models.functions import Cast
from django.db.models.lookups import Contains
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import AppendOnlyModel
from core.national_id import validate_no_national_id
from core.periods import OSLO, month_start


class Intensity(models.IntegerChoices):
    NOT_DISCUSSED = 0, _("0 – Not discussed")
    INFORMATION = 1, _("1 – Information or meeting list given")
    ACTIVELY_RECOMMENDED = 2, _("2 – Actively recommended")
    VOLUNTEER_CONTACT = 3, _("3 – Contact with a volunteer or peer arranged")
    ATTENDED_DURING_TREATMENT = 4, _("4 – Attended a meeting during treatment")


class Setting(models.TextChoices):
    OUTPATIENT = "outpatient", _("Outpatient")
    INPATIENT = "inpatient", _("Inpatient")
    DETOX = "detox", _("Detox")


class Substance(models.TextChoices):
    ALCOHOL = "alcohol", _("Alcohol")
    DRUGS = "drugs", _("Drugs")
    BOTH = "both", _("Alcohol and drugs")
    UNKNOWN = "unknown", _("Not known")


class YesNoUnknown(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    UNKNOWN = "unknown", _("Not known")


# Earlier experience with 12-step groups, and whether the patient attended a meeting: the same three answers.
PriorExperience = Attended = YesNoUnknown


class Response(models.TextChoices):
    POSITIVE = "positive", _("Positive")
    UNDECIDED = "undecided", _("Undecided")
    DECLINED = "declined", _("Declined")


class Reason(models.TextChoices):
    """Coded reasons behind the patient's answer (Kristensen 1987's five objections first)."""

    CANNOT_TALK_IN_GROUPS = "cannot_talk_in_groups", _("Cannot talk with many people present")
    MENTAL_HEALTH_NOT_ADDICTION = "mental_health_not_addiction", _("Has mental health problems, not an addiction")
    NOT_ROCK_BOTTOM = "not_rock_bottom", _("AA is only for those at rock bottom")
    RELIGION = "religion", _("Does not want anything religious")
    DISLIKES_FORMAT = "dislikes_format", _("Does not like the form of the meetings")
    PRACTICAL_BARRIERS = "practical_barriers", _("Practical barriers")
    PREFERS_OTHER_SUPPORT = "prefers_other_support", _("Prefers other support")
    NOT_SUITABLE = "not_suitable", _("Clinically not suitable")
    OTHER = "other", _("Other")


class ClosureReason(models.TextChoices):
    CONTINUES = "continues", _("Still attending – follow-up continues")
    COMPLETED = "completed", _("Follow-up completed")
    STOPPED_ATTENDING = "stopped_attending", _("Stopped attending")
    NEVER_STARTED = "never_started", _("Never started")
    TREATMENT_ENDED = "treatment_ended", _("Treatment ended")
    LOST_TO_FOLLOW_UP = "lost_to_follow_up", _("Lost to follow-up")


class PatientContactQuerySet(models.QuerySet):
    def current(self):
        """Contacts not soft-deleted."""
        return self.filter(deleted_at__isnull=True)

    def in_units(self, units):
        return self.filter(unit__in=units)

    def for_list(self):
        return (
            self.select_related("unit", "clinician")
            .prefetch_related("fellowships")
            .annotate(has_follow_up=models.Exists(FollowUp.objects.filter(contact=models.OuterRef("pk"))))
        )

    def for_detail(self):
        return self.select_related("unit", "clinician", "created_by", "updated_by")

    def follow_up_due(self, today):
        """Current contacts whose planned follow-up date is today or earlier and that have no follow-up yet."""
        return (
            self.current()
            .filter(
                follow_up_planned_on__lte=today,
                follow_up_planned_on__isnull=False,
            )
            .exclude(models.Exists(FollowUp.objects.filter(contact=models.OuterRef("pk"))))
        )

    def count_follow_up_due(self, today) -> int:
        """How many of `follow_up_due(today)`, counted with the follow-up check made row by row.

        As a filter, PostgreSQL turns "no follow-up yet" into an anti-join that hashes every follow-up of every
        unit (45 ms at 1,000,000 contacts); inside the count it probes the follow-up index for each due contact.
        """
        return (
            self.current()
            .filter(follow_up_planned_on__lte=today, follow_up_planned_on__isnull=False)
            .aggregate(
                due=models.Count(
                    "pk", filter=~models.Q(models.Exists(FollowUp.objects.filter(contact=models.OuterRef("pk"))))
                )
            )["due"]
        )

    def of_patient(self, unit, pseudonym):
        return self.current().filter(unit=unit, patient_pseudonym=pseudonym)


class PatientContact(models.Model):
    # No index of its own: the indexes below that start with the unit serve every query by unit (and PostgreSQL's
    # check when a unit is deleted), and each was one more index for an import to write.
    unit = models.ForeignKey(
        "accounts.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="contacts", db_index=False
    )
    contacted_at = models.DateTimeField(_("contact time"), default=timezone.now)
    # The calendar month of contacted_at in Oslo time, kept so that reports group by an index.
    contact_month = models.DateField(_("month"), editable=False, db_index=True)
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("clinician"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
    )
    # HMAC-SHA256 of the normalised clinic reference (referrals.pseudonyms); emptied by retention. Indexed in Meta.
    patient_pseudonym = models.CharField(_("patient pseudonym"), max_length=64, blank=True)
    setting = models.CharField(_("setting"), max_length=20, choices=Setting.choices, default=Setting.OUTPATIENT)
    main_substance = models.CharField(
        _("main substance"), max_length=20, choices=Substance.choices, default=Substance.UNKNOWN
    )
    prior_twelve_step = models.CharField(
        _("prior 12-step experience"), max_length=10, choices=PriorExperience.choices, default=PriorExperience.UNKNOWN
    )

    # The referral decision. A null intensity means the self-help question was not answered at all.
    intensity = models.PositiveSmallIntegerField(_("intensity"), choices=Intensity.choices, null=True, blank=True)
    fellowships = models.ManyToManyField("registry.Fellowship", verbose_name=_("fellowships"), blank=True)
    suggested_meetings = models.ManyToManyField(
        "registry.Meeting", verbose_name=_("suggested meetings"), blank=True, related_name="referrals"
    )
    response = models.CharField(_("patient response"), max_length=20, choices=Response.choices, blank=True)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    # Derived from reasons on save; the suitable-adjusted rate filters on it.
    not_suitable = models.BooleanField(_("clinically not suitable"), default=False, editable=False)
    precaution_comorbidity = models.BooleanField(_("comorbid mental illness"), default=False)
    precaution_opioid_maintenance = models.BooleanField(_("in opioid maintenance treatment (LAR)"), default=False)
    volunteer_contact_arranged = models.BooleanField(_("volunteer contact arranged"), default=False)
    follow_up_planned_on = models.DateField(_("planned follow-up"), null=True, blank=True)
    notes = models.TextField(
        _("notes"),
        blank=True,
        help_text=_("No names or other identifying details."),
        validators=[validate_no_national_id],
    )

    # Bookkeeping: idempotent create, optimistic locking, soft delete, retention.
    submission_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True, editable=False)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    deletion_reason = models.CharField(
        _("reason for deletion"), max_length=500, blank=True, editable=False, validators=[validate_no_national_id]
    )
    anonymised_at = models.DateTimeField(_("anonymised"), null=True, blank=True, editable=False)

    objects = PatientContactQuerySet.as_manager()

    class Meta:
        ordering = ["-contacted_at", "-id"]
        verbose_name = _("patient contact")
        verbose_name_plural = _("patient contacts")
        indexes = [
            # A plain index: db_index=True adds a second one for LIKE on PostgreSQL, which no query uses and which
            # costs an import of 100,000 contacts more than a second of random inserts (as does the access log's).
            # It also serves a patient's contacts in one unit: a pseudonym has a handful of contacts, and the unit is
            # a filter on those few rows. An index on (unit, pseudonym) beside it cost an import as much again.
            models.Index(fields=["patient_pseudonym"], name="contact_pseudonym"),
            models.Index(fields=["unit", "contact_month"]),
            # Follow-ups due: only current contacts with a planned date (a fifth of them in the benchmark).
            models.Index(
                fields=["unit", "follow_up_planned_on"],
                name="contact_follow_up_planned",
                condition=models.Q(deleted_at__isnull=True, follow_up_planned_on__isnull=False),
            ),
            # A clinician's own follow-ups due, oldest first (the home page): read in order, a few rows, instead of
            # sorting every due contact of the unit (40 ms at 1,000,000 contacts).
            models.Index(
                fields=["clinician", "follow_up_planned_on", "id"],
                name="contact_follow_up_by_clinician",
                condition=models.Q(deleted_at__isnull=True, follow_up_planned_on__isnull=False),
            ),
            # The unit's contact list: newest first, deleted rows left out of the index.
            models.Index(
                fields=["unit", "-contacted_at", "-id"],
                name="contact_current_by_time",
                condition=models.Q(deleted_at__isnull=True),
            ),
        ]

    def __str__(self):
        day = date_format(timezone.localtime(self.contacted_at, OSLO), "SHORT_DATE_FORMAT")
        return f"{self.unit.code} {day} #{self.pk}"

    def save(self, *args, **kwargs):
        self.contact_month = month_start(self.contacted_at)
        self.not_suitable = Reason.NOT_SUITABLE in (self.reasons or [])
        super().save(*args, **kwargs)

    def clean(self):
        unknown = set(self.reasons or []) - set(Reason.values)
        if unknown:
            raise ValidationError(
                {"reasons": _("Unknown reason codes: %(codes)s") % {"codes": ", ".join(sorted(unknown))}}
            )

    @property
    def fingerprint(self) -> str:
        """The short form of the pseudonym shown to clinicians."""
        return self.patient_pseudonym[:8].upper() if self.patient_pseudonym else "—"


class FollowUp(models.Model):
    contact = models.ForeignKey(
        PatientContact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="follow_ups"
    )
    followed_up_on = models.DateField(_("follow-up date"), default=timezone.localdate)
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("clinician"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    attended = models.CharField(
        _("attended at least one meeting"), max_length=10, choices=Attended.choices, default=Attended.UNKNOWN
    )
    meetings_last_30_days = models.PositiveSmallIntegerField(
        _("meetings in the last 30 days"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100), MinValueValidator(0)],
    )
    has_sponsor = models.BooleanField(_("has a sponsor"), default=False)
    did_service = models.BooleanField(_("has done service"), default=False)
    reads_literature = models.BooleanField(_("reads the literature"), default=False)
    sees_self_as_member = models.BooleanField(_("sees themself as a member"), default=False)
    closure_reason = models.CharField(
        _("status after follow-up"), max_length=30, choices=ClosureReason.choices, blank=True
    )
    notes = models.TextField(
        _("notes"),
        blank=True,
        help_text=_("No names or other identifying details."),
        validators=[validate_no_national_id],
    )
    # Makes a double-submitted follow-up form create one follow-up (as for contacts).
    submission_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    # Optimistic locking, as for contacts: an edit made from an older version is refused, not saved over.
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Who changed it last and when (services.follow_up_update): named when an edit meets a newer version.
    updated_at = models.DateTimeField(_("updated"), null=True, blank=True, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    class Meta:
        ordering = ["-followed_up_on", "-id"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")

    def __str__(self):
        return f"{self.contact} {date_format(self.followed_up_on, 'SHORT_DATE_FORMAT')}"


class AccessLogEntryQuerySet(models.QuerySet):
    def about_patient(self, pseudonym: str):
        """Every entry about one patient: it carries the pseudonym, names it among the patients a list showed, or
        points at one of the patient's contacts (in case an entry was written without the pseudonym).

        The contact ids are fetched first and passed as a list: PostgreSQL then ORs index scans, where a subquery
        made it scan the whole log (bench/privacy_bench.py).
        """
        if not pseudonym:
            return self.none()
        condition = models.Q(patient_pseudonym=pseudonym)
        if connection.features.supports_json_field_contains:
            condition |= models.Q(patient_pseudonyms__contains=[pseudonym])
        else:  # SQLite (development): the JSON list is text, and a pseudonym is 64 hex characters
            condition |= models.Q(Contains(Cast("patient_pseudonyms", models.TextField()), f'"{pseudonym}"'))
        contact_ids = list(PatientContact.objects.filter(patient_pseudonym=pseudonym).values_list("id", flat=True))
        if contact_ids:
            condition |= models.Q(contact_id__in=contact_ids)
        return self.filter(condition)


class AccessLogEntry(AppendOnlyModel):
    """Who read or wrote which patient-level record, when and from where. Append-only."""

    class Action(models.TextChoices):
        # A context of their own: as nouns in the log ("Sletting") they must not share a translation
        # with buttons that say the same English word ("Slett").
        VIEW = "view", pgettext_lazy("access log action", "View")
        LIST = "list", pgettext_lazy("access log action", "List")
        CREATE = "create", pgettext_lazy("access log action", "Create")
        UPDATE = "update", pgettext_lazy("access log action", "Update")
        DELETE = "delete", pgettext_lazy("access log action", "Delete")
        EXPORT = "export", pgettext_lazy("access log action", "Export")
        PRINT = "print", pgettext_lazy("access log action", "Print")
        IMPORT = "import", pgettext_lazy("access log action", "Import")
        LOOKUP = "lookup", pgettext_lazy("access log action", "Patient look-up")
        ANONYMISE = "anonymise", pgettext_lazy("access log action", "Anonymise")

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    # The log is permanent: nothing done elsewhere may change an entry, so a user, unit or contact it names cannot be
    # deleted (accounts are deactivated, contacts soft-deleted; an unused unit can still go).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The name as it was when the entry was written.
    username = models.CharField(_("user name"), max_length=150)
    unit = models.ForeignKey(
        "accounts.Unit", verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    contact = models.ForeignKey(
        PatientContact, verbose_name=_("contact"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Kept so that "all access to this patient's records" can be answered for the log's whole life. Indexed in Meta.
    patient_pseudonym = models.CharField(_("patient pseudonym"), max_length=64, blank=True)
    # A list page is one entry naming every contact it showed, with their patients' pseudonyms (same order).
    contact_ids = models.JSONField(_("contacts shown"), default=list, blank=True)
    patient_pseudonyms = models.JSONField(_("patients shown"), default=list, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    object_description = models.CharField(_("record"), max_length=200, blank=True)
    client_address = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    detail = models.CharField(_("detail"), max_length=500, blank=True)

    objects = AccessLogEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["patient_pseudonym"], name="access_log_pseudonym")]  # plain, as for contacts
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")

    def __str__(self):
        when = date_format(timezone.localtime(self.at), "SHORT_DATETIME_FORMAT")
        return f"{when} {self.username} {self.get_action_display()} {self.object_description}"
