"""Patient references become keyed hashes; national identity numbers are refused.

Only HMAC-SHA256(PSEUDONYM_KEY, normalised reference) is stored. The same typed
reference always gives the same pseudonym, so a clinician finds earlier contacts
of a patient without the product ever holding the reference itself.
"""

import hashlib
import hmac
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_SEPARATORS = re.compile(r"[\s\-_./]+")
FINGERPRINT_LENGTH = 8


def normalise_reference(reference: str) -> str:
    """Case, spaces and common separators do not change which patient is meant."""
    return _SEPARATORS.sub("", reference or "").upper()


def _national_id_check_digits_valid(digits: str) -> bool:
    weights_1 = [3, 7, 6, 1, 8, 9, 4, 5, 2]
    weights_2 = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2]
    numbers = [int(d) for d in digits]
    k1 = 11 - sum(w * n for w, n in zip(weights_1, numbers[:9], strict=True)) % 11
    k1 = 0 if k1 == 11 else k1
    if k1 == 10 or k1 != numbers[9]:
        return False
    k2 = 11 - sum(w * n for w, n in zip(weights_2, numbers[:10], strict=True)) % 11
    k2 = 0 if k2 == 11 else k2
    return k2 != 10 and k2 == numbers[10]


def looks_like_national_id(reference: str) -> bool:
    """An 11-digit fødselsnummer or D-number with valid mod-11 check digits, anywhere in the text."""
    digits_only = re.sub(r"\D", "", reference or "")
    candidates = set(re.findall(r"(?<!\d)\d{11}(?!\d)", re.sub(r"[\s.\-]", "", reference or "")))
    if len(digits_only) == 11:
        candidates.add(digits_only)
    return any(_national_id_check_digits_valid(candidate) for candidate in candidates)


def validate_reference(reference: str) -> str:
    """The normalised reference, or ValidationError with a message the clinician can act on."""
    if looks_like_national_id(reference):
        raise ValidationError(
            _(
                "This looks like a national identity number (fødselsnummer or D-number). "
                "Never enter it here: use the clinic's own patient or episode number."
            ),
            code="national_id",
        )
    normalised = normalise_reference(reference)
    if not normalised:
        raise ValidationError(_("Enter the clinic's patient or episode number."), code="required")
    if len(normalised) > 64:
        raise ValidationError(_("A reference has at most 64 characters."), code="max_length")
    if "\x00" in normalised:
        raise ValidationError(_("The reference contains characters that are not allowed."), code="invalid")
    return normalised


def pseudonym_for(reference: str) -> str:
    """The stored pseudonym (64 hex characters) of a typed reference. Validates first."""
    normalised = validate_reference(reference)
    return hmac.new(settings.PSEUDONYM_KEY.encode(), normalised.encode(), hashlib.sha256).hexdigest()


def fingerprint(pseudonym: str) -> str:
    return pseudonym[:FINGERPRINT_LENGTH].upper()
