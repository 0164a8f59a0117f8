"""Demo organisation and one demo user per role, for `manage.py seed_demo`.

The same table feeds the login page (in demo mode) and README, so what a visitor
reads there is what exists.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership, Unit, User

MUNICIPALITY_NUMBER = "4204"  # Kristiansand


@dataclass(frozen=True)
class DemoUnit:
    code: str
    name: str
    kind: str
    parent: str | None = None
    setting: str = ""


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: str  # what the login page shows
    unit: str | None = None
    unit_role: str = ""
    is_curator: bool = False
    is_quality_analyst: bool = False
    is_superuser: bool = False


DEMO_UNITS = [
    DemoUnit("HF-DEMO", "Demo helseforetak", Unit.Kind.HEALTH_TRUST),
    DemoUnit("DEMO-KLINIKK-RUS", "Klinikk for rus og avhengighet", Unit.Kind.CLINIC, parent="HF-DEMO"),
    DemoUnit("DEMO-RUS-POL", "Rus poliklinikk", Unit.Kind.UNIT, "DEMO-KLINIKK-RUS", Unit.Setting.OUTPATIENT),
    DemoUnit("DEMO-RUS-DOGN", "Rus døgnenhet", Unit.Kind.UNIT, "DEMO-KLINIKK-RUS", Unit.Setting.INPATIENT),
    DemoUnit("DEMO-RUS-AVR", "Avrusning", Unit.Kind.UNIT, "DEMO-KLINIKK-RUS", Unit.Setting.DETOX),
]

DEMO_USERS = [
    DemoUser("kliniker", "Kari", "Solberg", _("Clinician"), "DEMO-RUS-POL", Membership.Role.CLINICIAN),
    DemoUser("kliniker2", "Jonas", "Dahl", _("Clinician"), "DEMO-RUS-DOGN", Membership.Role.CLINICIAN),
    DemoUser("leder", "Ingrid", "Berg", _("Unit lead"), "DEMO-RUS-POL", Membership.Role.LEAD),
    DemoUser("kurator", "Magnus", "Lie", _("Curator"), is_curator=True),
    DemoUser("analytiker", "Sara", "Nilsen", _("Quality analyst"), is_quality_analyst=True),
    DemoUser("administrator", "Eva", "Moen", _("Administrator"), is_superuser=True),
]


def demo_users_for_display() -> list[dict]:
    """Rows for the login page: user name, role and unit name."""
    unit_names = {unit.code: unit.name for unit in DEMO_UNITS}
    return [
        {"username": user.username, "role": user.role, "unit": unit_names.get(user.unit, "")} for user in DEMO_USERS
    ]


@transaction.atomic
def seed(stdout) -> None:
    """Create or update the demo units and users. Safe to run any number of times."""
    from registry.models import Municipality

    municipality = Municipality.objects.filter(number=MUNICIPALITY_NUMBER).first()
    units: dict[str, Unit] = {}
    created_units = 0
    for demo_unit in DEMO_UNITS:
        unit, created = Unit.objects.update_or_create(
            code=demo_unit.code,
            defaults={
                "name": demo_unit.name,
                "kind": demo_unit.kind,
                "setting": demo_unit.setting,
                "parent": units.get(demo_unit.parent),
                "municipality": municipality,
            },
        )
        units[unit.code] = unit
        created_units += created

    created_users = 0
    for demo_user in DEMO_USERS:
        user, created = User.objects.get_or_create(username=demo_user.username)
        user.first_name = demo_user.first_name
        user.last_name = demo_user.last_name
        user.email = f"{demo_user.username}@example.org"
        user.is_active = True
        user.is_curator = demo_user.is_curator
        user.is_quality_analyst = demo_user.is_quality_analyst
        user.is_superuser = demo_user.is_superuser
        user.set_password(settings.DEMO_PASSWORD)
        user.save()
        if demo_user.unit:
            Membership.objects.update_or_create(
                user=user, unit=units[demo_user.unit], defaults={"role": demo_user.unit_role}
            )
        created_users += created

    stdout.write(
        f"Demo organisation: {len(units)} units ({created_units} new), "
        f"{len(DEMO_USERS)} users ({created_users} new), password {settings.DEMO_PASSWORD!r}."
    )
