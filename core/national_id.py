"""Norwegian national identity numbers: found in any text, so that none is ever stored, logged or shown again.

A number is any 11 digits whose two mod-11 check digits are valid, whatever the date part says. That covers
fødselsnummer, D-numbers (day + 40), H-numbers (month + 40), the Tax Administration's synthetic test numbers
(month + 80) and FH-numbers alike: all of them identify a person, and a date rule would only let some through.
The digits may be split by spaces (any Unicode white space, line breaks included), dots, dashes of every kind,
slashes, backslashes, underscores and invisible characters, and may stand next to other digits ("Rom 3
15038510271", "15038510271-1"): every 11-digit window of such a run is checked. Letters and other punctuation
end a run, so "2 meetings, 3 weeks" is never read as one number.

About 1 in 121 random 11-digit numbers has valid check digits by chance; an episode number that happens to be
one is refused like a real one, which is the safe side. Numbers with wrong check digits (phone numbers, most
episode numbers) pass.
"""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

LENGTH = 11
_SEPARATOR = r"[\s._/\\\-\u00ad\u2010-\u2015\u2212\u200b-\u200d\u2060\ufeff]"
# Runs of at least 11 digits with separators between them; a shorter run cannot hold a number.
_DIGIT_RUN = re.compile(rf"\d(?:{_SEPARATOR}*\d){{{LENGTH - 1},}}")
_NOT_DIGIT = re.compile(r"\D")
# Each weighted sum, over the digits up to and including its check digit, is divisible by 11.
_CHECKS = ((3, 7, 6, 1, 8, 9, 4, 5, 2, 1), (5, 4, 3, 2, 7, 6, 5, 4, 3, 2, 1))

REDACTED = "***"
FREE_TEXT_MESSAGE = _(
    "This text contains what looks like a national identity number. Free text must never identify the patient."
)
REFERENCE_MESSAGE = _(
    "This looks like a national identity number (fødselsnummer or D-number). "
    "Never enter it here: use the clinic's own patient or episode number."
)


def check_digits_valid(digits: list[int]) -> bool:
    """Whether 11 digits carry valid fødselsnummer check digits."""
    return all(sum(w * d for w, d in zip(weights, digits, strict=False)) % 11 == 0 for weights in _CHECKS)


def _run_holds_number(run: str) -> bool:
    digits = [int(character) for character in _NOT_DIGIT.sub("", run)]
    return any(check_digits_valid(digits[start : start + LENGTH]) for start in range(len(digits) - LENGTH + 1))


def contains_national_id(text: str | None) -> bool:
    """Whether the text holds 11 digits with valid check digits anywhere, split or surrounded by anything."""
    if not text or len(text) < LENGTH or _DIGIT_RUN.search(text) is None:  # the usual case, without a loop
        return False
    return any(_run_holds_number(match.group()) for match in _DIGIT_RUN.finditer(text))


def redact_national_ids(text: str, replacement: str = REDACTED) -> str:
    """The text with every digit run that holds a national identity number replaced."""
    if not contains_national_id(text):
        return text
    return _DIGIT_RUN.sub(lambda match: replacement if _run_holds_number(match.group()) else match.group(), text)


def validate_no_national_id(value: str) -> None:
    """A model and form field validator for free text."""
    if contains_national_id(value):
        raise ValidationError(FREE_TEXT_MESSAGE, code="national_id")


class NationalIdFormMixin:
    """Every text field of the form refuses national identity numbers, and a bound form never shows one again.

    The number is taken out of the submitted data before anything else sees it: an invalid form, or one
    re-shown without validation ("Check patient", "Search meetings"), renders the text with the number
    replaced (fields in `national_id_cleared_fields`, such as a patient reference, are emptied), and the field
    gets an error. `national_id_messages` gives a field its own explanation.
    """

    national_id_cleared_fields: tuple[str, ...] = ()
    national_id_messages: dict = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.national_id_fields: list[str] = []
        if not self.is_bound:
            return
        data = None
        for name, field in self.fields.items():
            key = self.add_prefix(name)
            value = self.data.get(key) if isinstance(field, forms.CharField) else None
            if isinstance(value, str) and contains_national_id(value):
                data = data if data is not None else self.data.copy()
                data[key] = "" if name in self.national_id_cleared_fields else redact_national_ids(value)
                self.national_id_fields.append(name)
        if data is not None:
            self.data = data

    def clean(self):
        cleaned_data = super().clean()
        for name in self.national_id_fields:
            self._errors.pop(name, None)  # "required" after emptying it says nothing useful
            self.add_error(name, ValidationError(self.national_id_messages.get(name, FREE_TEXT_MESSAGE)))
        return cleaned_data
