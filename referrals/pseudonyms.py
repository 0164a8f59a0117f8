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

from core.national_id import REFERENCE_MESSAGE, contains_national_id

_SEPARATORS = re.compile(r"[\s\-_./]+")
FINGERPRINT_LENGTH = 8


def normalise_reference(reference: str) -> str:
    """Case, spaces and common separators do not change which patient is meant."""
    return _SEPARATORS.sub("", reference or "").upper()


def validate_reference(reference: str) -> str:
    """The normalised reference, or ValidationError with a message the clinician can act on."""
    if contains_national_id(reference):
        raise ValidationError(REFERENCE_MESSAGE, code="national_id")
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
