"""Targets, the record of monthly report mailings, and frozen monthly figures.

Figures are computed from the contacts while their pseudonyms exist. Before retention blanks the
pseudonyms of old contacts, `reports.snapshots.freeze_months` copies those months' figures into
`MonthlyFigures`/`MonthlyBreakdown` (aggregates only, no patient keys), and the reports read them
from there from then on, so past reports never change.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class IndicatorCode(models.TextChoices):
    REFERRAL_RATE = "referral_rate", _("Referral rate (actively recommended, intensity 2 or higher)")
    SUITABLE_ADJUSTED = "suitable_adjusted", _("Referral rate among patients not coded “not suitable”")
    ANY_INFORMATION = "any_information", _("Any information given (intensity 1 or higher)")
    INTENSIVE_LINKAGE = "intensive_linkage", _("Intensive linkage (intensity 3 or higher)")
    FOLLOW_UP_RECORDED = "follow_up_recorded", _("Follow-up recorded among referred patients")
    ATTENDED = "attended", _("Attended a meeting among followed-up patients")
    DATA_COMPLETENESS = "data_completeness", _("Data completeness (self-help question answered)")


class TargetQuerySet(models.QuerySet):
    def for_list(self):
        return self.select_related("unit", "created_by").order_by("unit__path", "indicator", "-valid_from")


class Target(models.Model):
    """A unit's target for one indicator from a month on; units below inherit it unless they set their own."""

    unit = models.ForeignKey(
        "accounts.Unit", verbose_name=_("unit"), on_delete=models.CASCADE, related_name="report_targets"
    )
    indicator = models.CharField(
        _("indicator"), max_length=30, choices=IndicatorCode.choices, default=IndicatorCode.REFERRAL_RATE
    )
    # Both are first days of months; valid_to is the last month the target applies (inclusive).
    valid_from = models.DateField(_("valid from (month)"))
    valid_to = models.DateField(
        _("valid to (month)"), null=True, blank=True, help_text=_("Empty: until further notice.")
    )
    target_percent = models.DecimalField(
        _("target (%)"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    note = models.CharField(_("note"), max_length=300, blank=True, help_text=_("For example where it was agreed."))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = TargetQuerySet.as_manager()

    class Meta:
        ordering = ["unit__path", "indicator", "-valid_from"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.UniqueConstraint(fields=["unit", "indicator", "valid_from"], name="one_target_per_unit_start"),
            models.CheckConstraint(
                condition=models.Q(target_percent__gte=0, target_percent__lte=100), name="target_percent_0_to_100"
            ),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=models.F("valid_from")),
                name="target_period_not_reversed",
            ),
        ]

    def __str__(self):
        return f"{self.unit.code} {self.indicator} {self.target_percent} % from {self.valid_from:%Y-%m}"

    def applies_to(self, month) -> bool:
        return self.valid_from <= month and (self.valid_to is None or month <= self.valid_to)

    def clean(self):
        errors = {}
        if self.valid_from and self.valid_from.day != 1:
            errors["valid_from"] = _("A target starts on the first day of a month.")
        if self.valid_to and self.valid_to.day != 1:
            errors["valid_to"] = _("A target ends with a whole month.")
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            errors["valid_to"] = _("The last month cannot be before the first month.")
        if errors:
            raise ValidationError(errors)
        if self.unit_id and self.valid_from:
            overlapping = Target.objects.filter(unit_id=self.unit_id, indicator=self.indicator).exclude(pk=self.pk)
            if self.valid_to:
                overlapping = overlapping.filter(valid_from__lte=self.valid_to)
            overlapping = overlapping.filter(models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=self.valid_from))
            other = overlapping.order_by("valid_from").first()
            if other is not None:
                until = f"{other.valid_to:%Y-%m}" if other.valid_to else _("until further notice")
                raise ValidationError(
                    _(
                        "This unit already has a target for this indicator from %(start)s (%(until)s). "
                        "End that one first, or choose months that do not overlap."
                    )
                    % {"start": f"{other.valid_from:%Y-%m}", "until": until}
                )


class ReportDispatch(models.Model):
    """One monthly report sent by e-mail to one lead of one unit: a second run does not send it again."""

    unit = models.ForeignKey("accounts.Unit", verbose_name=_("unit"), on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("month"))
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    email = models.EmailField(_("e-mail address"))
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)

    class Meta:
        ordering = ["-month", "unit", "email"]
        verbose_name = _("report dispatch")
        verbose_name_plural = _("report dispatches")
        constraints = [
            models.UniqueConstraint(fields=["unit", "month", "email"], name="one_dispatch_per_unit_month_address")
        ]

    def __str__(self):
        return f"{self.unit_id} {self.month:%Y-%m} → {self.email}"


class FrozenMonth(models.Model):
    """A month whose figures are read from MonthlyFigures, because its contacts may be anonymised."""

    month = models.DateField(_("month"), unique=True)
    frozen_at = models.DateTimeField(_("frozen"), auto_now_add=True)
    contacts = models.PositiveIntegerField(_("contacts when frozen"), default=0)

    class Meta:
        ordering = ["month"]
        verbose_name = _("frozen month")
        verbose_name_plural = _("frozen months")

    def __str__(self):
        return f"{self.month:%Y-%m}"


class Scope(models.TextChoices):
    # OWN: contacts recorded in the unit itself (unit comparison); SUBTREE: the unit and every unit
    # below it, patients counted once across them (the unit's own report).
    OWN = "own", _("Own contacts")
    SUBTREE = "subtree", _("Unit and units below")


# The counts behind every indicator, per unit and month (see reports.indicators for definitions).
FIGURE_FIELDS = [
    "eligible",
    "referred",
    "informed",
    "intensive",
    "suitable_eligible",
    "suitable_referred",
    "followed_up",
    "attended",
    "not_attended",
    "attendance_unknown",
    "contacts",
    "answered_contacts",
    "highest_not_answered",
    "highest_0",
    "highest_1",
    "highest_2",
    "highest_3",
    "highest_4",
]


class MonthlyFigures(models.Model):
    unit = models.ForeignKey("accounts.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"))
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices)
    eligible = models.PositiveIntegerField(default=0)
    referred = models.PositiveIntegerField(default=0)
    informed = models.PositiveIntegerField(default=0)
    intensive = models.PositiveIntegerField(default=0)
    suitable_eligible = models.PositiveIntegerField(default=0)
    suitable_referred = models.PositiveIntegerField(default=0)
    followed_up = models.PositiveIntegerField(default=0)
    attended = models.PositiveIntegerField(default=0)
    not_attended = models.PositiveIntegerField(default=0)
    attendance_unknown = models.PositiveIntegerField(default=0)
    contacts = models.PositiveIntegerField(default=0)
    answered_contacts = models.PositiveIntegerField(default=0)
    highest_not_answered = models.PositiveIntegerField(default=0)
    highest_0 = models.PositiveIntegerField(default=0)
    highest_1 = models.PositiveIntegerField(default=0)
    highest_2 = models.PositiveIntegerField(default=0)
    highest_3 = models.PositiveIntegerField(default=0)
    highest_4 = models.PositiveIntegerField(default=0)
    frozen_at = models.DateTimeField(_("frozen"), auto_now_add=True)

    class Meta:
        ordering = ["month", "unit"]
        verbose_name = _("frozen monthly figures")
        verbose_name_plural = _("frozen monthly figures")
        constraints = [models.UniqueConstraint(fields=["unit", "month", "scope"], name="one_figures_per_unit_month")]

    def __str__(self):
        return f"{self.unit_id} {self.month:%Y-%m} {self.scope}"


class MonthlyBreakdown(models.Model):
    """Frozen breakdown rows (per clinician or fellowship) of a unit's subtree in a month."""

    class Dimension(models.TextChoices):
        CLINICIAN = "clinician", _("Clinician")
        FELLOWSHIP = "fellowship", _("Fellowship")

    unit = models.ForeignKey("accounts.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"))
    dimension = models.CharField(_("dimension"), max_length=20, choices=Dimension.choices)
    # The clinician's or fellowship's id when frozen; null for "not recorded".
    key = models.BigIntegerField(null=True, blank=True)
    label = models.CharField(max_length=300, blank=True)
    eligible = models.PositiveIntegerField(default=0)
    referred = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["month", "unit", "dimension", "label"]
        verbose_name = _("frozen breakdown")
        verbose_name_plural = _("frozen breakdowns")
        indexes = [models.Index(fields=["unit", "month", "dimension"])]

    def __str__(self):
        return f"{self.unit_id} {self.month:%Y-%m} {self.dimension} {self.label}"
