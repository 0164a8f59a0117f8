import pytest
from django.core.exceptions import ValidationError

from core.national_id import contains_national_id
from referrals.pseudonyms import fingerprint, pseudonym_for, validate_reference

# Synthetic numbers with valid check digits (constructed, not real people).
VALID_FNR = "01010012356"
VALID_DNUMBER = "41010012420"


def test_same_reference_with_different_spacing_gives_same_pseudonym(settings):
    settings.PSEUDONYM_KEY = "k"
    assert pseudonym_for("ep 2026-0042") == pseudonym_for("EP20260042")


def test_pseudonym_depends_on_key(settings):
    settings.PSEUDONYM_KEY = "one"
    first = pseudonym_for("P1")
    settings.PSEUDONYM_KEY = "two"
    assert pseudonym_for("P1") != first


def test_pseudonym_is_64_hex_characters_and_fingerprint_is_short(settings):
    value = pseudonym_for("P123")
    assert len(value) == 64 and int(value, 16) >= 0
    assert fingerprint(value) == value[:8].upper()


@pytest.mark.parametrize("number", [VALID_FNR, VALID_DNUMBER, "010100 12356", "010100-12356"])
def test_national_identity_numbers_are_refused(number):
    assert contains_national_id(number)
    with pytest.raises(ValidationError) as error:
        validate_reference(number)
    assert error.value.code == "national_id"


def test_eleven_digits_with_wrong_check_digits_are_an_ordinary_reference():
    assert not contains_national_id("01010012345")
    assert validate_reference("01010012345") == "01010012345"


def test_empty_reference_is_refused():
    with pytest.raises(ValidationError):
        validate_reference("  - ")
