"""Forms of the clinician screens. They parse and present; the rules live in referrals.services."""

from __future__ import annotations

import datetime
from operator import attrgetter

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.forms.utils import ErrorDict
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.forms import ListedModelChoiceField, ListedModelMultipleChoiceField, MonthField, ServiceErrorsMixin
from core.national_id import REFERENCE_MESSAGE, NationalIdFormMixin
from core.periods import OSLO
from referrals.models import (
    Attended,
    ClosureReason,
    Intensity,
    PatientContact,
    PriorExperience,
    Reason,
    Response,
    Setting,
    Substance,
)
from referrals.pseudonyms import pseudonym_for, validate_reference
from referrals.services import (
    CONTACT_RELATIONS,
    MAX_SUGGESTED_MEETINGS,
    contact_time_for_date,
    too_many_meetings_message,
)
from registry.models import Fellowship, Meeting, Status

DEFAULT_FOLLOW_UP_WEEKS = 4
NOTES_WARNING = _("Never write names, national identity numbers, addresses or other details that identify the patient.")


def notes_field() -> forms.CharField:
    """The free-text notes of a contact or a follow-up, with the warning against identifying details."""
    return forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=NOTES_WARNING,
    )


def intensity_choices():
    """The scale in plain words (DOMAIN.md, "Referral record"); built per request so it is translated."""
    meanings = {
        Intensity.NOT_DISCUSSED: (_("Not discussed"), _("Self-help groups were not talked about.")),
        Intensity.INFORMATION: (
            _("Information given"),
            _("Told the patient about the groups or gave a meeting list."),
        ),
        Intensity.ACTIVELY_RECOMMENDED: (
            _("Actively recommended"),
            _("Encouraged the patient to go, for example to a named meeting (“aktivt motivert”)."),
        ),
        Intensity.VOLUNTEER_CONTACT: (
            _("Volunteer contact arranged"),
            _("Linked the patient to an AA/NA volunteer or peer who will meet them at a meeting."),
        ),
        Intensity.ATTENDED_DURING_TREATMENT: (
            _("Attended during treatment"),
            _("The patient went to a meeting while in treatment."),
        ),
    }
    return [
        (value, format_html('{} – {} <span class="choice-hint">{}</span>', value, title, hint))
        for value, (title, hint) in meanings.items()
    ]


class StyledFormMixin:
    """Designsystemet classes on every widget, so templates can render `{{ field }}` or `{{ choice.tag }}`."""

    def style_widgets(self):
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "ds-input")


class ContactForm(NationalIdFormMixin, ServiceErrorsMixin, StyledFormMixin, forms.Form):
    required_marks = True  # the page explains the asterisk
    service_field_names = {"contacted_at": "contacted_on"}
    national_id_cleared_fields = ("patient_reference",)
    national_id_messages = {"patient_reference": REFERENCE_MESSAGE}

    unit = ListedModelChoiceField(label=_("Unit"), queryset=None, empty_label=None)
    clinician = ListedModelChoiceField(
        label=_("Recorded for"),
        queryset=None,
        required=False,
        empty_label=_("Myself"),
        help_text=_("As a unit lead you can record a contact for a clinician of your unit; the log says you did."),
    )
    contacted_on = forms.DateField(label=_("Date of contact"), widget=forms.DateInput(attrs={"type": "date"}))
    patient_reference = forms.CharField(
        label=_("Patient or episode number"),
        max_length=100,
        help_text=_(
            "The clinic's own number, never the national identity number. "
            "Only a keyed code is stored; the same number finds the patient's earlier contacts."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    intensity = forms.TypedChoiceField(
        label=_("What did you do about self-help groups?"), coerce=int, widget=forms.RadioSelect
    )
    fellowships = ListedModelMultipleChoiceField(
        label=_("Fellowships"),
        queryset=Fellowship.objects.order_by("code"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    suggested_meetings = forms.ModelMultipleChoiceField(
        label=_("Suggested meetings"),
        queryset=Meeting.objects.none(),
        required=False,
        help_text=format_lazy(
            _("At most {limit}: the patient handout has room for {limit} meetings."), limit=MAX_SUGGESTED_MEETINGS
        ),
    )
    response = forms.ChoiceField(
        label=_("Patient's response"),
        choices=[("", _("Not asked"))] + list(Response.choices),
        required=False,
        widget=forms.RadioSelect,
    )
    reasons = forms.MultipleChoiceField(
        label=_("Reasons the patient gave"),
        choices=Reason.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    precaution_comorbidity = forms.BooleanField(label=_("Comorbid mental illness"), required=False)
    precaution_opioid_maintenance = forms.BooleanField(label=_("In opioid maintenance treatment (LAR)"), required=False)
    volunteer_contact_arranged = forms.BooleanField(
        label=_("Contact with a volunteer or peer arranged"), required=False
    )
    follow_up_planned_on = forms.DateField(
        label=_("Planned follow-up"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty if no follow-up is planned."),
    )
    setting = forms.ChoiceField(label=_("Setting"), choices=Setting.choices, widget=forms.RadioSelect)
    main_substance = forms.ChoiceField(
        label=_("Main substance"), choices=Substance.choices, initial=Substance.UNKNOWN, widget=forms.RadioSelect
    )
    prior_twelve_step = forms.ChoiceField(
        label=_("Earlier experience with 12-step groups"),
        choices=PriorExperience.choices,
        initial=PriorExperience.UNKNOWN,
        widget=forms.RadioSelect,
    )
    notes = notes_field()
    submission_token = forms.UUIDField(widget=forms.HiddenInput, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, units, contact: PatientContact | None = None, colleagues=None, **kwargs):
        """`colleagues`: the clinicians a unit lead may record for (None for everyone else: no such field)."""
        self.contact = contact
        self.pseudonym = ""
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        if colleagues is None or contact is not None:
            del self.fields["clinician"]
        else:
            self.fields["clinician"].queryset = colleagues
            self.fields["clinician"].label_from_instance = attrgetter("display_name")
        self.fields["intensity"].choices = intensity_choices()
        self.fields["fellowships"].label_from_instance = attrgetter("label")
        if contact is None:
            del self.fields["version"]
            self.fields["submission_token"].required = True
        else:
            del self.fields["submission_token"]
            del self.fields["unit"]
            self.fields["version"].required = True
            self.fields["patient_reference"].required = False
            self.fields["patient_reference"].help_text = _(
                "Leave empty to keep patient %(fingerprint)s. Type a number only to correct the patient."
            ) % {"fingerprint": contact.fingerprint}
        # Only active meetings can be newly suggested; an edit keeps meetings suggested before.
        allowed = Q(status=Status.ACTIVE)
        if contact is not None:
            allowed |= Q(pk__in=contact.suggested_meetings.values("pk"))
        self.fields["suggested_meetings"].queryset = (
            Meeting.objects.filter(allowed, pk__in=self._selected_meeting_ids())
            .select_related("group__fellowship", "municipality")
            .order_by("weekday", "start_time", "name")
        )
        self.style_widgets()

    def suppress_errors(self) -> None:
        """Re-show a bound form without validating it (after "Check patient" or "Search meetings")."""
        self._errors = ErrorDict()
        self.cleaned_data = {}

    @classmethod
    def initial_for_new(cls, *, unit, today: datetime.date | None = None) -> dict:
        today = today or timezone.localdate(timezone=OSLO)
        return {
            "unit": unit,
            "contacted_on": today,
            "setting": (unit.setting if unit is not None else "") or Setting.OUTPATIENT,
            "main_substance": Substance.UNKNOWN,
            "prior_twelve_step": PriorExperience.UNKNOWN,
            "follow_up_planned_on": today + datetime.timedelta(weeks=DEFAULT_FOLLOW_UP_WEEKS),
        }

    @classmethod
    def initial_for_edit(cls, contact: PatientContact) -> dict:
        return {
            "contacted_on": timezone.localtime(contact.contacted_at, OSLO).date(),
            "setting": contact.setting,
            "main_substance": contact.main_substance,
            "prior_twelve_step": contact.prior_twelve_step,
            "intensity": contact.intensity,
            "fellowships": list(contact.fellowships.all()),
            "suggested_meetings": [m.pk for m in contact.suggested_meetings.all()],
            "response": contact.response,
            "reasons": contact.reasons,
            "precaution_comorbidity": contact.precaution_comorbidity,
            "precaution_opioid_maintenance": contact.precaution_opioid_maintenance,
            "volunteer_contact_arranged": contact.volunteer_contact_arranged,
            "follow_up_planned_on": contact.follow_up_planned_on,
            "notes": contact.notes,
            "version": contact.version,
        }

    def _selected_meeting_ids(self) -> list[int]:
        if self.is_bound:
            raw = self.data.getlist(self.add_prefix("suggested_meetings")) if hasattr(self.data, "getlist") else []
        else:
            raw = self.initial.get("suggested_meetings") or []
        ids = []
        for value in raw:
            try:
                ids.append(int(getattr(value, "pk", value)))
            except (TypeError, ValueError):
                continue
        return ids

    def selected_meetings(self) -> list[Meeting]:
        """The meetings ticked so far, for re-rendering the form; unknown ids are dropped."""
        return list(self.fields["suggested_meetings"].queryset)

    def clean_patient_reference(self) -> str:
        reference = self.cleaned_data.get("patient_reference", "")
        if reference:
            validate_reference(reference)
            self.pseudonym = pseudonym_for(reference)
        return reference

    def clean_suggested_meetings(self) -> list[Meeting]:
        meetings = list(self.cleaned_data.get("suggested_meetings") or [])
        message = too_many_meetings_message(meetings, contact=self.contact)
        if message:
            raise ValidationError(message)
        return meetings

    def to_service_data(self) -> dict:
        data = self.cleaned_data
        contacted_on = data["contacted_on"]
        if self.contact is not None and timezone.localtime(self.contact.contacted_at, OSLO).date() == contacted_on:
            contacted_at = self.contact.contacted_at
        else:
            contacted_at = contact_time_for_date(contacted_on)
        values = {
            "contacted_at": contacted_at,
            "patient_reference": data.get("patient_reference", ""),
            "setting": data["setting"],
            "main_substance": data["main_substance"],
            "prior_twelve_step": data["prior_twelve_step"],
            "intensity": data["intensity"],
            "fellowships": list(data["fellowships"]),
            "suggested_meetings": list(data["suggested_meetings"]),
            "response": data["response"],
            "reasons": list(data["reasons"]),
            "precaution_comorbidity": data["precaution_comorbidity"],
            "precaution_opioid_maintenance": data["precaution_opioid_maintenance"],
            "volunteer_contact_arranged": data["volunteer_contact_arranged"],
            "follow_up_planned_on": data["follow_up_planned_on"],
            "notes": data["notes"],
        }
        assert set(CONTACT_RELATIONS) <= set(values)
        return values


class FollowUpForm(NationalIdFormMixin, ServiceErrorsMixin, StyledFormMixin, forms.Form):
    required_marks = True
    followed_up_on = forms.DateField(label=_("Date of follow-up"), widget=forms.DateInput(attrs={"type": "date"}))
    attended = forms.ChoiceField(
        label=_("Has the patient attended at least one meeting?"),
        choices=Attended.choices,
        widget=forms.RadioSelect,
        help_text=_("As the patient tells it."),
    )
    meetings_last_30_days = forms.IntegerField(
        label=_("Meetings in the last 30 days"), required=False, min_value=0, max_value=100
    )
    has_sponsor = forms.BooleanField(label=_("Has a sponsor"), required=False)
    did_service = forms.BooleanField(label=_("Has done service (e.g. made coffee, chaired)"), required=False)
    reads_literature = forms.BooleanField(label=_("Reads the literature"), required=False)
    sees_self_as_member = forms.BooleanField(label=_("Sees themself as a member"), required=False)
    closure_reason = forms.ChoiceField(
        label=_("Status after this follow-up"),
        choices=[("", _("Not set"))] + list(ClosureReason.choices),
        required=False,
    )
    notes = notes_field()
    submission_token = forms.UUIDField(widget=forms.HiddenInput, required=False)
    # The version the user opened; an edit from an older version is a conflict (services.follow_up_update).
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    BOOKKEEPING = ("submission_token", "version")

    def __init__(self, *args, creating: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if creating:
            self.fields["submission_token"].required = True
            del self.fields["version"]
        else:
            del self.fields["submission_token"]
            self.fields["version"].required = True
        self.style_widgets()

    @classmethod
    def initial_for_edit(cls, follow_up) -> dict:
        initial = {name: getattr(follow_up, name) for name in cls.base_fields if name not in cls.BOOKKEEPING}
        initial["version"] = follow_up.version
        return initial

    def to_service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields if name not in self.BOOKKEEPING}


class DeleteContactForm(NationalIdFormMixin, ServiceErrorsMixin, StyledFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why is the contact deleted?"),
        max_length=500,
        help_text=_("For example: registered on the wrong patient, or a duplicate. No names."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_widgets()


class ContactFilterForm(StyledFormMixin, forms.Form):
    """The list filters, read from the query string. Invalid values are reported and ignored."""

    unit = ListedModelChoiceField(label=_("Unit"), queryset=None, required=False, empty_label=_("All my units"))
    month = MonthField(label=_("Month"), required=False)
    clinician = ListedModelChoiceField(
        label=_("Clinician"), queryset=None, required=False, empty_label=_("All clinicians")
    )
    intensity = forms.ChoiceField(label=_("Intensity"), required=False)
    due = forms.BooleanField(label=_("Only follow-up due"), required=False)
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000, widget=forms.HiddenInput)

    def __init__(self, *args, units, clinicians, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["clinician"].queryset = clinicians
        self.fields["clinician"].label_from_instance = lambda user: user.get_full_name() or user.username
        self.fields["intensity"].choices = [("", _("All")), ("none", _("Not recorded"))] + [
            (str(v), label) for v, label in Intensity.choices
        ]
        self.style_widgets()

    def valid_values(self) -> dict:
        """The filters that parsed; a bad one is shown as an error and left out."""
        self.is_valid()
        return {name: value for name, value in getattr(self, "cleaned_data", {}).items() if name not in self.errors}


class PatientLookupForm(NationalIdFormMixin, StyledFormMixin, forms.Form):
    national_id_cleared_fields = ("patient_reference",)
    national_id_messages = {"patient_reference": REFERENCE_MESSAGE}

    unit = ListedModelChoiceField(label=_("Unit"), queryset=None, empty_label=None)
    patient_reference = forms.CharField(
        label=_("Patient or episode number"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.pseudonym = ""
        self.style_widgets()

    def clean_patient_reference(self) -> str:
        reference = self.cleaned_data.get("patient_reference", "")
        validate_reference(reference)
        self.pseudonym = pseudonym_for(reference)
        return reference
