from django import forms
from django.utils.translation import gettext_lazy as _

from core.national_id import REFERENCE_MESSAGE, NationalIdFormMixin
from referrals.pseudonyms import pseudonym_for


class OneTimeCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        strip=True,
        widget=forms.TextInput(
            attrs={
                "class": "ds-input",
                "autocomplete": "one-time-code",
                "inputmode": "text",
                "autocapitalize": "none",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )


class EnrolmentCodeForm(OneTimeCodeForm):
    code = forms.CharField(
        label=_("Six-digit code from the app"),
        max_length=16,
        strip=True,
        widget=forms.TextInput(
            attrs={"class": "ds-input", "autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )


class PatientReferenceForm(NationalIdFormMixin, forms.Form):
    """The clinic's patient or episode number; only its keyed hash is used."""

    national_id_cleared_fields = ("reference",)
    national_id_messages = {"reference": REFERENCE_MESSAGE}

    reference = forms.CharField(
        label=_("Patient or episode number"),
        max_length=100,
        help_text=_("The clinic's own number, as typed when contacts were recorded. Never a national identity number."),
        widget=forms.TextInput(attrs={"class": "ds-input", "autocomplete": "off", "spellcheck": "false"}),
    )

    pseudonym = ""

    def clean_reference(self) -> str:
        reference = self.cleaned_data["reference"]
        # Refuses national identity numbers with the same explanation as when contacts are recorded.
        self.pseudonym = pseudonym_for(reference)
        return reference
