"""Users, the unit tree and memberships: who may see what."""

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Unit(models.Model):
    """A node of the organisation: health trust → clinic → unit."""

    class Kind(models.TextChoices):
        HEALTH_TRUST = "health_trust", _("Health trust")
        CLINIC = "clinic", _("Clinic")
        UNIT = "unit", _("Unit")

    class Setting(models.TextChoices):
        OUTPATIENT = "outpatient", _("Outpatient")
        INPATIENT = "inpatient", _("Inpatient")
        DETOX = "detox", _("Detox")

    code = models.CharField(
        _("code"),
        max_length=32,
        unique=True,
        validators=[RegexValidator(r"^[A-Z0-9][A-Z0-9_-]*$", _("Use capital letters, digits, - and _."))],
        help_text=_("Short unique code, e.g. HF-SOR-RUS-POL."),
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.UNIT)
    setting = models.CharField(_("setting"), max_length=20, choices=Setting.choices, blank=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Materialised path of codes ("/HF/CLINIC/UNIT/") so that subtree queries are one index scan.
    path = models.CharField(max_length=500, editable=False, db_index=True)
    municipality = models.ForeignKey(
        "registry.Municipality",
        verbose_name=_("municipality"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text=_("Where the unit is; used to suggest nearby meetings."),
    )

    class Meta:
        ordering = ["path"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self):
        return f"{self.name} ({self.code})"

    def save(self, *args, **kwargs):
        parent_path = self.parent.path if self.parent_id else "/"
        old_path = self.path
        self.path = f"{parent_path}{self.code}/"
        super().save(*args, **kwargs)
        if old_path and old_path != self.path:
            for child in self.children.all():
                child.save()

    @property
    def depth(self) -> int:
        """0 for a health trust at the top, 1 for its clinics, and so on."""
        return max(self.path.count("/") - 2, 0)

    def clean(self):
        super().clean()
        # A unit cannot sit below itself: that would make the tree a loop.
        if self.parent_id and self.pk and self.path and self.parent.path.startswith(self.path):
            raise ValidationError({"parent": _("A unit cannot be placed below itself or one of its own units.")})


class User(AbstractUser):
    """A staff user. Unit roles come from memberships; these flags are the global roles."""

    is_curator = models.BooleanField(_("curator"), default=False, help_text=_("May edit the meeting registry."))
    is_quality_analyst = models.BooleanField(
        _("quality analyst"),
        default=False,
        help_text=_("Sees aggregate reports for all units, never patient-level data."),
    )
    hpr_number = models.CharField(
        _("HPR number"),
        max_length=9,
        blank=True,
        validators=[RegexValidator(r"^[0-9]{1,9}$", _("Digits only, as in the Health Personnel Register."))],
        help_text=_(
            "The person's number in the Health Personnel Register (HPR). "
            "Used to recognise them at their first login through HelseID."
        ),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def is_administrator(self) -> bool:
        return self.is_superuser

    @property
    def display_name(self) -> str:
        """The person's name where the administrator gave one, else the user name."""
        return self.get_full_name() or self.username

    def save(self, *args, **kwargs):
        # The admin site is the curators' and administrators' workplace.
        self.is_staff = self.is_superuser or self.is_curator
        super().save(*args, **kwargs)


class Membership(models.Model):
    class Role(models.TextChoices):
        CLINICIAN = "clinician", _("Clinician")
        LEAD = "lead", _("Unit lead")

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.CLINICIAN)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["user", "unit"], name="one_membership_per_user_and_unit")]

    def __str__(self):
        return f"{self.user} – {self.unit.code} ({self.get_role_display()})"


class ExternalIdentity(models.Model):
    """A person's identity at an OpenID Connect provider: (issuer, subject) belongs to exactly one user.

    Only these two identifiers are kept; no token and no other claim (never a national identity number).
    """

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="external_identities")
    provider = models.CharField(_("identity provider"), max_length=30)
    issuer = models.CharField(_("issuer"), max_length=300)
    subject = models.CharField(_("subject"), max_length=255)
    linked_at = models.DateTimeField(_("linked"), auto_now_add=True)
    last_login_at = models.DateTimeField(_("last login"), null=True, blank=True)

    class Meta:
        ordering = ["user__username", "provider"]
        verbose_name = _("linked identity")
        verbose_name_plural = _("linked identities")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="one_user_per_external_identity"),
            models.UniqueConstraint(fields=["user", "issuer"], name="one_external_identity_per_user_and_issuer"),
        ]

    def __str__(self):
        return f"{self.user} – {self.provider}"
