"""factory-boy factories shared by the whole suite."""

import datetime
import zoneinfo

import factory
from django.conf import settings

from accounts.models import Membership, Unit, User
from referrals.models import FollowUp, PatientContact
from registry.models import Fellowship, Group, Meeting, Municipality

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")
PASSWORD = "correct-horse-battery-staple"


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"UNIT-{n}")
    name = factory.LazyAttribute(lambda unit: f"Unit {unit.code}")
    kind = Unit.Kind.UNIT


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="no_NO")
    last_name = factory.Faker("last_name", locale="no_NO")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    password = factory.django.Password(PASSWORD)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    unit = factory.SubFactory(UnitFactory)
    role = Membership.Role.CLINICIAN


class FellowshipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Fellowship
        django_get_or_create = ("code",)

    code = "AA"
    name = factory.LazyAttribute(
        lambda f: {"AA": "Anonyme Alkoholikere", "NA": "Anonyme Narkomane"}.get(f.code, f.code)
    )
    website = "https://example.org/"


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group

    name = factory.Sequence(lambda n: f"Testgruppe {n}")
    fellowship = factory.SubFactory(FellowshipFactory)
    municipality = factory.LazyFunction(lambda: Municipality.objects.get(number="4204"))


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"meeting-{n}")
    group = factory.SubFactory(GroupFactory)
    name = factory.LazyAttribute(lambda m: f"{m.group.name} møte")
    weekday = 2
    start_time = datetime.time(19, 0)
    end_time = datetime.time(20, 30)
    venue = "Kirkens bymisjon"
    address = "Gyldenløves gate 1"
    postal_code = "4611"
    municipality = factory.LazyFunction(lambda: Municipality.objects.get(number="4204"))


class PatientContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PatientContact
        skip_postgeneration_save = True

    unit = factory.SubFactory(UnitFactory)
    clinician = factory.SubFactory(UserFactory)
    contacted_at = factory.LazyFunction(lambda: datetime.datetime(2026, 10, 15, 10, 0, tzinfo=OSLO))
    patient_pseudonym = factory.Sequence(lambda n: f"{n:064x}")
    intensity = 2


class FollowUpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FollowUp

    contact = factory.SubFactory(PatientContactFactory)
    followed_up_on = datetime.date(2026, 11, 15)
    attended = "yes"


def login(client, user):
    """Log a user in without going through django-axes' request-bound backend."""
    client.force_login(user, backend=settings.AUTHENTICATION_BACKENDS[-1])
    return client


# Privacy (two-factor login) ---------------------------------------------------------------------------------


def authenticator_for(user, *, recovery_codes=("abcde23456", "fghjk34567")):
    """A confirmed authenticator app (TOTP device) and recovery codes for `user`; returns the TOTP device."""
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    static = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    StaticToken.objects.bulk_create([StaticToken(device=static, token=code) for code in recovery_codes])
    return device


def totp_now(device) -> str:
    """The code the person's authenticator app shows right now."""
    from django_otp.oath import totp

    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


class TargetFactory(factory.django.DjangoModelFactory):
    """A report target (reports app): 40 % referral rate from January 2026, until further notice."""

    class Meta:
        model = "reports.Target"

    unit = factory.SubFactory(UnitFactory)
    indicator = "referral_rate"
    valid_from = datetime.date(2026, 1, 1)
    valid_to = None
    target_percent = 40


# Registry (meeting types, places) ---------------------------------------------------------------------------


class TypedMeetingFactory(MeetingFactory):
    """A meeting with Meeting Guide type codes and its own slug: TypedMeetingFactory(types=["O", "BE"])."""

    slug = factory.Sequence(lambda n: f"typed-meeting-{n}")

    @factory.post_generation
    def types(self, create, extracted, **kwargs):
        from registry.models import MeetingType

        if create and extracted:
            self.types.set(MeetingType.objects.filter(code__in=extracted))


def municipality(number: str):
    """A municipality loaded by the geography migration, e.g. municipality("4204") for Kristiansand."""
    return Municipality.objects.get(number=number)
