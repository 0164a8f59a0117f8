"""The curated register of self-help groups and their meetings, with Norway's reference geography."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core.fields import URLField
from core.freshness import is_stale

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
LANGUAGES_PATTERN = re.compile(r"^[a-z]{2,3}(?:,[a-z]{2,3})*$")
# Control characters (C0, DEL, C1). A line break in a name, or a bare carriage return anywhere, would end a line
# of a calendar file or a CSV row early; NUL cannot be stored in PostgreSQL text. Text that may hold several lines
# (notes) keeps tab, line feed and CR LF.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
CONTROL_CHARACTERS_IN_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]|\r(?!\n)")


def no_control_characters(value: str) -> None:
    """For one-line text: no line breaks, tabs or other control characters."""
    if isinstance(value, str) and CONTROL_CHARACTERS.search(value):
        raise ValidationError(
            _("Remove the line break or other control character: this text must be one line of plain text."),
            code="control_character",
        )


def no_control_characters_in_lines(value: str) -> None:
    """For text of several lines: line breaks and tabs are fine, other control characters are not."""
    if isinstance(value, str) and CONTROL_CHARACTERS_IN_LINES.search(value):
        raise ValidationError(
            _("Remove the control character: only letters, line breaks and tabs are allowed."),
            code="control_character",
        )


HTML_TAG = re.compile(r"<[A-Za-z/!][^<>]*>")


def plain_text(value: str) -> None:
    """No HTML tags: the feed's consumers strip them (the Meeting Guide spec: plain text), which would lose words."""
    match = HTML_TAG.search(value) if isinstance(value, str) else None
    if match:
        raise ValidationError(
            _("Write plain text: remove the HTML tag “%(tag)s”."), code="html", params={"tag": match.group()[:40]}
        )


ONE_LINE = [no_control_characters, plain_text]
LINES = [no_control_characters_in_lines, plain_text]


class County(models.Model):
    number = models.CharField(_("number"), max_length=2, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    other_names = models.CharField(_("other names"), max_length=200, blank=True)

    class Meta:
        ordering = ["number"]
        verbose_name = _("county")
        verbose_name_plural = _("counties")

    def __str__(self):
        return self.name


class Municipality(models.Model):
    number = models.CharField(_("number"), max_length=4, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    county = models.ForeignKey(
        County, verbose_name=_("county"), on_delete=models.PROTECT, related_name="municipalities"
    )
    other_names = models.CharField(_("other names"), max_length=200, blank=True)
    latitude = models.FloatField(_("latitude"))
    longitude = models.FloatField(_("longitude"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")

    def __str__(self):
        return self.name


class PostalCode(models.Model):
    code = models.CharField(_("postal code"), max_length=4, primary_key=True)
    place = models.CharField(_("place"), max_length=100)
    # Svalbard and Jan Mayen postal codes have no municipality in the register.
    municipality = models.ForeignKey(
        Municipality, verbose_name=_("municipality"), null=True, blank=True, on_delete=models.PROTECT
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("postal code")
        verbose_name_plural = _("postal codes")

    def __str__(self):
        return f"{self.code} {self.place.title()}"


class MeetingType(models.Model):
    """A Meeting Guide type code (github code4recovery/spec, data/types.json) with our labels."""

    code = models.CharField(_("code"), max_length=10, primary_key=True)
    name_nb = models.CharField(_("Norwegian name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("meeting type")
        verbose_name_plural = _("meeting types")

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "nb").startswith("en") else self.name_nb


class Fellowship(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True, validators=[RegexValidator(r"^[A-Za-z0-9-]+$")])
    name = models.CharField(_("name"), max_length=200)
    twelve_step = models.BooleanField(_("12-step fellowship"), default=True)
    website = URLField(_("public website"), blank=True)
    contact = models.CharField(
        _("public contact"), max_length=200, blank=True, help_text=_("Public phone number or e-mail for newcomers.")
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("fellowship")
        verbose_name_plural = _("fellowships")

    def __str__(self):
        return self.code

    @property
    def display_name(self) -> str:
        """The name in the user's language where the reference name is a description ("Annen likepersonstøtte")."""
        generic = GENERIC_FELLOWSHIP_NAMES.get(self.code)
        if generic is not None and self.name == generic[0]:
            return str(generic[1])
        return self.name

    @property
    def is_acronym(self) -> bool:
        return self.code.isalpha() and self.code.isupper() and len(self.code) <= 3

    @property
    def label(self) -> str:
        """The name people know, with the usual short form: "Anonyme Alkoholikere (AA)", never "OTHER-12"."""
        name = self.display_name
        if not name:
            return self.code
        if self.is_acronym and self.code not in name:
            return f"{name} ({self.code})"
        return name

    @property
    def short_label(self) -> str:
        """ "AA" where the code is the usual short form, else the name ("Other peer support", not "PEER")."""
        return self.code if self.is_acronym or not self.display_name else self.display_name


# Reference fellowships (registry.reference_data) whose Norwegian name describes rather than names them.
GENERIC_FELLOWSHIP_NAMES = {
    "OTHER-12": ("Annet tolvtrinnsfellesskap", _("Other 12-step fellowship")),
    "PEER": ("Annen likepersonstøtte", _("Other peer support")),
}


class Status(models.TextChoices):
    ACTIVE = "active", _("Active")
    TEMPORARILY_CLOSED = "temporarily_closed", _("Temporarily closed")
    INACTIVE = "inactive", _("Inactive")


class Group(models.Model):
    name = models.CharField(_("name"), max_length=200, validators=ONE_LINE)
    fellowship = models.ForeignKey(
        Fellowship, verbose_name=_("fellowship"), on_delete=models.PROTECT, related_name="groups"
    )
    municipality = models.ForeignKey(
        Municipality, verbose_name=_("municipality"), null=True, blank=True, on_delete=models.PROTECT
    )
    contact = models.CharField(_("public contact"), max_length=200, blank=True, validators=ONE_LINE)
    website = URLField(_("website"), blank=True)
    notes = models.TextField(_("notes"), blank=True, validators=LINES)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE)
    last_verified_at = models.DateTimeField(_("last verified"), null=True, blank=True)
    last_verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("group")
        verbose_name_plural = _("groups")

    def __str__(self):
        return self.name


class AttendanceMode(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    ONLINE = "online", _("Online")
    HYBRID = "hybrid", _("Hybrid")


class Recurrence(models.TextChoices):
    WEEKLY = "weekly", _("Every week")
    BIWEEKLY = "biweekly", _("Every other week")
    MONTHLY = "monthly", _("Monthly")


class Weekday(models.IntegerChoices):
    """ISO weekdays (Monday = 1). The Meeting Guide feed's Sunday = 0 is converted at the edge."""

    MONDAY = 1, _("Monday")
    TUESDAY = 2, _("Tuesday")
    WEDNESDAY = 3, _("Wednesday")
    THURSDAY = 4, _("Thursday")
    FRIDAY = 5, _("Friday")
    SATURDAY = 6, _("Saturday")
    SUNDAY = 7, _("Sunday")


class MeetingQuerySet(models.QuerySet):
    def active(self, *conditions):
        """Active meetings, with any further `conditions` (Q objects) in the same filter call: each call clones the
        query built so far."""
        return self.filter(*conditions, status=Status.ACTIVE)

    def for_listing(self):
        return self.select_related("group__fellowship", "municipality__county").prefetch_related("types")


# A meeting's schedule as stored: every export, import and the feed read these fields, in this order.
SCHEDULE_FIELDS = (
    "weekday",
    "start_time",
    "end_time",
    "recurrence",
    "anchor_date",
    "week_of_month",
    "valid_from",
    "valid_to",
)


class Meeting(models.Model):
    slug = models.SlugField(
        _("slug"),
        max_length=64,
        unique=True,
        validators=[RegexValidator(SLUG_PATTERN, _("Use lower-case letters, digits, - and _ only."))],
        help_text=_("Stable key used by feeds and imports. At most 64 characters."),
    )
    group = models.ForeignKey(Group, verbose_name=_("group"), on_delete=models.PROTECT, related_name="meetings")
    name = models.CharField(_("name"), max_length=200, validators=ONE_LINE)

    # Schedule, in Europe/Oslo local time.
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start_time = models.TimeField(_("start time"))
    end_time = models.TimeField(_("end time"), null=True, blank=True, help_text=_("May be after midnight."))
    recurrence = models.CharField(_("recurrence"), max_length=20, choices=Recurrence.choices, default=Recurrence.WEEKLY)
    anchor_date = models.DateField(
        _("first date"), null=True, blank=True, help_text=_("For every-other-week meetings: one date it is held.")
    )
    # 1–4 for the Nth weekday of the month, -1 for the last.
    week_of_month = models.SmallIntegerField(
        _("week of month"),
        null=True,
        blank=True,
        choices=[(1, _("First")), (2, _("Second")), (3, _("Third")), (4, _("Fourth")), (-1, _("Last"))],
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    attendance_mode = models.CharField(
        _("attendance"), max_length=20, choices=AttendanceMode.choices, default=AttendanceMode.IN_PERSON
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE)

    venue = models.CharField(_("venue"), max_length=200, blank=True, validators=ONE_LINE)
    address = models.CharField(_("street address"), max_length=200, blank=True, validators=ONE_LINE)
    postal_code = models.CharField(_("postal code"), max_length=4, blank=True)
    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("municipality"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="meetings",
    )
    latitude = models.FloatField(
        _("latitude"), null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        _("longitude"), null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    location_notes = models.TextField(_("location notes"), blank=True, validators=LINES)

    conference_url = URLField(_("conference link"), max_length=500, blank=True)
    conference_url_notes = models.CharField(_("conference link notes"), max_length=500, blank=True, validators=ONE_LINE)
    conference_phone = models.CharField(_("conference phone"), max_length=50, blank=True, validators=ONE_LINE)
    conference_phone_notes = models.CharField(
        _("conference phone notes"), max_length=500, blank=True, validators=ONE_LINE
    )

    types = models.ManyToManyField(MeetingType, verbose_name=_("types"), blank=True, related_name="meetings")
    languages = models.CharField(
        _("languages"),
        max_length=50,
        default="nb",
        validators=[RegexValidator(LANGUAGES_PATTERN, _("Use language codes separated by commas, e.g. nb,en."))],
        help_text=_("Comma-separated language codes, e.g. nb,en."),
    )
    notes = models.TextField(_("notes"), blank=True, validators=LINES)

    # Where the record came from, so an import can mark meetings it no longer lists as inactive.
    source = models.CharField(_("source"), max_length=200, blank=True, db_index=True)
    last_verified_at = models.DateTimeField(_("last verified"), null=True, blank=True)
    last_verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["weekday", "start_time", "name"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        indexes = [
            models.Index(fields=["status", "weekday", "start_time"]),
            models.Index(fields=["municipality", "status"]),
            # The duplicate warning looks up other meetings of the same group at the same weekday and time.
            models.Index(fields=["group", "weekday", "start_time"]),
            # "Near a postal code" narrows to a latitude/longitude box before computing distances.
            models.Index(fields=["latitude", "longitude"]),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.attendance_mode != AttendanceMode.ONLINE:
            if not self.address:
                errors["address"] = _("An address is required unless the meeting is online only.")
            if not self.municipality_id:
                errors["municipality"] = _("A municipality is required unless the meeting is online only.")
        if self.attendance_mode != AttendanceMode.IN_PERSON and not (self.conference_url or self.conference_phone):
            errors["conference_url"] = _("An online or hybrid meeting needs a link or a phone number.")
        if self.end_time and self.end_time == self.start_time:
            errors["end_time"] = _("The end time must differ from the start time.")
        if self.recurrence == Recurrence.BIWEEKLY and not self.anchor_date:
            errors["anchor_date"] = _("An every-other-week meeting needs one date on which it is held.")
        if (
            self.recurrence == Recurrence.BIWEEKLY
            and self.anchor_date
            and self.anchor_date.isoweekday() != self.weekday
        ):
            errors["anchor_date"] = _("The first date must fall on the meeting's weekday.")
        if self.recurrence == Recurrence.MONTHLY and not self.week_of_month:
            errors["week_of_month"] = _("A monthly meeting needs the week of the month.")
        if (self.latitude is None) != (self.longitude is None):
            errors["longitude" if self.longitude is None else "latitude"] = _(
                "Give both latitude and longitude, or neither."
            )
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            errors["valid_to"] = _("The end of validity must be after its start.")
        if errors:
            raise ValidationError(errors)

    @property
    def crosses_midnight(self) -> bool:
        return bool(self.end_time and self.end_time < self.start_time)

    @property
    def is_stale(self) -> bool:
        """Not verified in the last six months."""
        return is_stale(self.last_verified_at)
