"""The national identity number detector (core.national_id): split, surrounded or embedded, it is found."""

import pytest
from hypothesis import example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from core.national_id import check_digits_valid, contains_national_id, redact_national_ids

# Constructed numbers with valid check digits (not real people's).
FNR = "15038510271"  # 15 March 1985
D_NUMBER = "41010012420"  # day + 40
H_NUMBER = "01418010181"  # month + 40
SYNTHETIC = "01818010083"  # month + 80: the Tax Administration's synthetic test population
SEPARATORS = [" ", "  ", ".", "-", "/", "_", "\\", "\n", "\t", "\u00a0", "\u2009", "\u2013", "\u2212", "\u200b", " - "]


def valid_numbers():
    """Any 11 digits with valid check digits: nine random digits and the two check digits they need."""

    def complete(first_nine: list[int]) -> str | None:
        digits = list(first_nine)
        for weights in ((3, 7, 6, 1, 8, 9, 4, 5, 2), (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)):
            check = -sum(w * d for w, d in zip(weights, digits, strict=True)) % 11
            if check == 10:
                return None
            digits.append(check)
        return "".join(map(str, digits))

    return st.lists(st.integers(0, 9), min_size=9, max_size=9).map(complete).filter(bool)


@st.composite
def split_numbers(draw):
    """A valid number with a random separator (or none) between any two of its digits."""
    number = draw(valid_numbers())
    pieces = [number[0]]
    for digit in number[1:]:
        pieces.append(draw(st.sampled_from(["", "", "", *SEPARATORS])) + digit)
    return number, "".join(pieces)


surrounding_text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40)


@pytest.mark.parametrize(
    "text",
    [
        FNR,
        f"{FNR}-1",
        "150385/10271/1",
        f"Rom 3 {FNR}",
        f"fnr {FNR} 2 ganger",
        "150385 10271",
        "15.03.85 102 71",
        "150385_10271",
        "15-03-85-10271",
        f"x{FNR}y",
        f"9{FNR}9",
        "１５０３８５１０２７１",  # full-width digits
        D_NUMBER,
        H_NUMBER,
        SYNTHETIC,
        "line one\n150385\n10271",
    ],
)
def test_a_national_identity_number_is_found_however_it_is_written(text):
    assert contains_national_id(text)
    assert not contains_national_id(redact_national_ids(text))


@pytest.mark.parametrize(
    "text",
    [
        "15038510272",  # wrong check digit
        "01010012345",
        "22 33 44 55",
        "+47 22334455",
        "+47 987 65 432",
        "EP-2026-0042",
        "2 meetings, 3 weeks, 2026-03-15, 12:30, 15038510272",
        "1503851027",  # ten digits
        "150385a10271",  # a letter ends the run
        "150385, 10271",  # so does a comma
        "",
        None,
    ],
)
def test_numbers_with_wrong_check_digits_and_ordinary_text_pass(text):
    assert not contains_national_id(text)
    if text:
        assert redact_national_ids(text) == text


def test_redaction_keeps_the_rest_of_the_text():
    assert redact_national_ids(f"Met twice, ref {FNR}, phone 22334455") == "Met twice, ref ***, phone 22334455"


def test_check_digits_are_the_two_mod_11_checks():
    assert check_digits_valid([int(d) for d in FNR])
    assert not check_digits_valid([int(d) for d in "15038510281"])


@hypothesis_settings(max_examples=300, deadline=None, database=None)
@given(split=split_numbers(), before=surrounding_text, after=surrounding_text)
@example(split=(FNR, "150385/10271/1"), before="Rom 3 ", after="")
def test_any_valid_number_in_any_text_with_any_separators_is_found_and_redacted(split, before, after):
    number, written = split
    text = before + written + after
    assert contains_national_id(text)
    redacted = redact_national_ids(text)
    assert not contains_national_id(redacted)
    assert written not in redacted


@hypothesis_settings(max_examples=300, deadline=None, database=None)
@given(number=valid_numbers(), position=st.integers(0, 10), wrong=st.integers(1, 9))
def test_a_number_with_a_changed_digit_is_not_a_national_identity_number(number, position, wrong):
    """Mod-11 check digits catch every single-digit change: such a number is an ordinary reference."""
    changed = number[:position] + str((int(number[position]) + wrong) % 10) + number[position + 1 :]
    assert not contains_national_id(changed)
