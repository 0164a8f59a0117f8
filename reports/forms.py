"""The report filter (a GET form) and the target form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import MonthField, ServiceErrorsMixin
from reports.indicators import INDICATORS
from reports.models import IndicatorCode, Target
from reports.selectors import SPANS


def unit_choices(units) -> list[tuple[str, str]]:
    """Units indented by their depth below the topmost listed unit, so that a clinic's units sit under it."""
    units = list(units)
    top = min((unit.path.count("/") for unit in units), default=0)
    return [(unit.code, f"{'— ' * (unit.path.count('/') - top)}{unit.name} ({unit.code})") for unit in units]


def span_choices() -> list[tuple[int, str]]:
    # A callable, so that the label is translated when the form is shown, not once at import.
    return [(span, _("%(months)s months") % {"months": span}) for span in SPANS]


class ReportForm(forms.Form):
    unit = forms.ChoiceField(label=_("Unit"))
    month = MonthField(label=_("Month"))
    indicator = forms.ChoiceField(label=_("Indicator"), choices=[(code, i.label) for code, i in INDICATORS.items()])
    span = forms.TypedChoiceField(
        label=_("Trend"),
        coerce=int,
        choices=span_choices,
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = unit_choices(units)


class ComparisonForm(forms.Form):
    scope = forms.ChoiceField(label=_("Units"), required=False)
    month = MonthField(label=_("Month"))
    indicator = forms.ChoiceField(label=_("Indicator"), choices=[(code, i.label) for code, i in INDICATORS.items()])

    def __init__(self, *args, scopes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope"].choices = [("", _("All units"))] + unit_choices(scopes)


class TargetForm(ServiceErrorsMixin, forms.ModelForm):
    valid_from = MonthField(label=_("From month"), help_text=_("The first month the target applies."))
    valid_to = MonthField(
        label=_("To month (optional)"),
        required=False,
        help_text=_("The last month it applies. Leave empty for “until further notice”."),
    )

    class Meta:
        model = Target
        fields = ["unit", "indicator", "target_percent", "valid_from", "valid_to", "note"]
        widgets = {"target_percent": forms.NumberInput(attrs={"step": "0.1", "min": "0", "max": "100"})}

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units.order_by("path")
        if not self.is_bound and self.instance.pk is None:
            first_two = list(self.fields["unit"].queryset[:2])
            if len(first_two) == 1:
                self.initial.setdefault("unit", first_two[0].pk)
        self.fields["unit"].label_from_instance = lambda unit: f"{unit.name} ({unit.code})"
        self.fields["unit"].empty_label = _("Choose a unit")  # not Django's "---------"
        self.fields["indicator"].initial = IndicatorCode.REFERRAL_RATE
        self.fields["target_percent"].help_text = _("A percentage between 0 and 100, for example 40.")
