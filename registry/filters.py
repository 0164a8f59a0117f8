"""The public meeting search: one FilterSet for the page, its HTMX partial and its calendar file."""

from __future__ import annotations

import copy
import datetime
import functools
import re
from operator import attrgetter

import django_filters
import django_filters.fields
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core.forms import ListedChoiceIterator, PlainTextInput
from core.generations import is_private
from core.memo import Kept
from registry import page_cache, schedule, selectors
from registry.changes import GENERATION
from registry.models import AttendanceMode, Fellowship, Meeting, Weekday
from registry.reference_data import read_rows

MORNING_ENDS = datetime.time(12, 0)
EVENING_STARTS = datetime.time(17, 0)

# Language codes in Meeting.languages, with the Meeting Guide type code that says the same thing.
LANGUAGES = [
    ("nb", _("Norwegian"), "NO"),
    ("en", _("English"), "EN"),
    ("sv", _("Swedish"), "SV"),
    ("da", _("Danish"), "DA"),
    ("pl", _("Polish"), "POL"),
    ("lt", _("Lithuanian"), "LT"),
    ("ru", _("Russian"), "RUS"),
    ("uk", _("Ukrainian"), "UK"),
    ("ar", _("Arabic"), "AR"),
    ("fa", _("Persian"), "FA"),
    ("es", _("Spanish"), "S"),
]
LANGUAGE_TYPE_CODES = {code: type_code for code, _label, type_code in LANGUAGES}
POSTAL_CODE_PATTERN = re.compile(r"^\d{4}$")


class FastSelect(forms.Select):
    """A <select> rendered in Python rather than one template per option (Django's way takes ~90 ms for the 357
    municipalities). With `static=True` the options never change while the process runs (reference data from
    registry/data), so their HTML is built once per language and only the selected value is marked per request."""

    _options_cache: dict = {}

    def __init__(self, attrs=None, choices=(), *, static: bool = False):
        super().__init__(attrs, choices)
        self.static = static

    def _options_html(self) -> str:
        return format_html_join(
            "", '<option value="{}">{}</option>', ((str(option), label) for option, label in self.choices)
        )

    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = self.build_attrs(self.attrs, attrs)
        final_attrs["name"] = name
        if self.static:
            key = (name, get_language())
            if key not in self._options_cache:
                self._options_cache[key] = self._options_html()
            options = self._options_cache[key]
        else:
            options = self._options_html()
        for selected in self.format_value(value):
            marker = format_html('<option value="{}">', selected)
            options = options.replace(marker, marker[:-1] + " selected>", 1)
        return format_html("<select{}>{}</select>", flatatt(final_attrs), mark_safe(options))  # noqa: S308


class FellowshipSelect(FastSelect):
    """The fellowship menu: its options come from the database, which curators edit, so they are kept under the
    registry's change generation (registry/changes.py) for each language, as the pages are. Reading the fellowships
    and rendering their options on every uncached search cost about a tenth of its time.

    Where the request has read the generation already (the page cache's lookup, before the search is rendered), the
    options are kept in this process under that token (`_options_by_token`): a second round trip to the shared cache
    for them was a seventh of the search body's render (issue 15). Otherwise they come from the shared cache."""

    def _options_html(self) -> str:
        language, token = get_language(), GENERATION.read_in_this_request()
        if token is None or is_private(token):
            key = f"registry:fellowship-options:{language}"
            return GENERATION.get_or_render(key, super()._options_html, page_cache.cache_seconds())
        return _options_by_token.get_or_make((language, token), super()._options_html)


# (language, registry generation token) → the fellowship menu's options (FellowshipSelect); older tokens go.
_options_by_token = Kept(16)
# (registry generation token, free text) → its words with what each finds (MeetingFilter.words).
_words_by_token = Kept(2000)


@functools.cache
def county_choices() -> tuple[tuple[str, str], ...]:
    """(number, name) of the 15 counties, from the reference file migration 0002 loaded (read-only in the admin)."""
    return tuple((row["county_number"], row["name"]) for row in read_rows("norway_counties_2024.csv"))


@functools.cache
def municipality_choices() -> tuple[tuple[str, str], ...]:
    """(number, "Name (County)") of the 357 municipalities, by name: two Herøys and two Vålers need the county."""
    counties = dict(county_choices())
    rows = [
        (row["municipality_number"], f"{row['name']} ({counties[row['county_number']]})")
        for row in read_rows("norway_municipalities_2024.csv")
    ]
    return tuple(sorted(rows, key=lambda row: row[1]))


class FellowshipChoiceField(django_filters.fields.ModelChoiceField):
    iterator = ListedChoiceIterator  # rendered on every search: one plain query for the few fellowships


class FellowshipFilter(django_filters.ModelChoiceFilter):
    field_class = FellowshipChoiceField


def checkbox() -> forms.CheckboxInput:
    return forms.CheckboxInput(attrs={"class": "ds-input"})


def has_type(code: str) -> Exists:
    # EXISTS lets PostgreSQL probe the (meeting, type) index for the rows other filters leave.
    return Exists(Meeting.types.through.objects.filter(meeting_id=OuterRef("pk"), meetingtype_id=code))


def in_type(code: str) -> Q:
    # Inside an OR an EXISTS becomes a per-row subplan; IN (subquery) is hashed once instead.
    return Q(pk__in=Meeting.types.through.objects.filter(meetingtype_id=code).values("meeting_id"))


class SharedFilters(dict):
    """A FilterSet's filters, copied shallowly for each instance: django-filter deep-copies them (widgets, choices,
    the fellowship queryset) for every search, which cost about 1.3 ms. An instance sets only its own attributes on
    its copies (`model`, `parent`, a lazily built `field`); nothing of a filter is changed in place."""

    def __deepcopy__(self, memo):
        copies = {}
        for name, filter_ in self.items():
            copies[name] = copy.copy(filter_)
            if filter_.method is not None:
                copies[name].method = filter_.method  # binds the method to the copy, whose `parent` is the instance
        return copies


class SharedFields(dict):
    """A form class's fields, handed to each of its forms. Django deep-copies them for every form, which cost about
    0.3 ms a search, most of it in the choice lists (the 357 municipalities with their lazy labels, copied one by
    one). A field that no form changes is handed on as it is; those in `per_form` are copied as Django would."""

    def __init__(self, fields: dict, *, per_form: frozenset[str]):
        super().__init__(fields)
        self.per_form = per_form

    def __deepcopy__(self, memo):
        return {name: copy.deepcopy(field, memo) if name in self.per_form else field for name, field in self.items()}


class MeetingFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_text",
        widget=PlainTextInput(attrs={"type": "search", "placeholder": _("Name, place or address")}),
    )
    postal_code = django_filters.CharFilter(
        label=_("Near postal code"),
        method="filter_nothing",  # applied by the view: it changes the order and shows distances
        widget=PlainTextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code", "size": 4}),
        help_text=_("For example the patient's home. Widens the distance until a few meetings are found."),
    )
    # Counties and municipalities are fixed reference data: their choices come from the files, with no query. Those
    # and the choices written below are "static": their options' HTML is built once per process and language.
    county = django_filters.ChoiceFilter(
        label=_("County"),
        choices=county_choices,
        field_name="municipality__county",
        empty_label=_("All"),
        widget=FastSelect(static=True),
    )
    municipality = django_filters.ChoiceFilter(
        label=_("Municipality"),
        choices=municipality_choices,
        field_name="municipality",
        empty_label=_("All"),
        widget=FastSelect(static=True),
    )
    fellowship = FellowshipFilter(
        widget=FellowshipSelect,
        label=_("Fellowship"),
        queryset=Fellowship.objects.order_by("code"),
        field_name="group__fellowship",
        to_field_name="code",
        empty_label=_("All"),
    )
    weekday = django_filters.MultipleChoiceFilter(
        label=_("Weekday"),
        choices=Weekday.choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "ds-input"}),
        distinct=False,  # a column of the meeting itself: no join, nothing to make distinct
    )
    time_of_day = django_filters.ChoiceFilter(
        widget=FastSelect(static=True),
        label=_("Time of day"),
        method="filter_time_of_day",
        empty_label=_("Any time"),
        choices=[
            ("morning", _("Morning (before 12)")),
            ("afternoon", _("Afternoon (12–17)")),
            ("evening", _("Evening (from 17)")),
        ],
    )
    openness = django_filters.ChoiceFilter(
        widget=FastSelect(static=True),
        label=_("Open or closed"),
        method="filter_openness",
        empty_label=_("Both"),
        choices=[("open", _("Open")), ("closed", _("Closed"))],
        help_text=_("Open: anyone may come. Closed: for those who want to stop."),
    )
    attendance = django_filters.ChoiceFilter(
        widget=FastSelect(static=True),
        label=_("Attendance"),
        method="filter_attendance",
        empty_label=_("Any"),
        choices=[
            (AttendanceMode.IN_PERSON, _("In person (also hybrid)")),
            (AttendanceMode.ONLINE, _("Online (also hybrid)")),
            (AttendanceMode.HYBRID, _("Hybrid only")),
        ],
    )
    language = django_filters.ChoiceFilter(
        widget=FastSelect(static=True),
        label=_("Language"),
        method="filter_language",
        empty_label=_("Any"),
        choices=[(code, label) for code, label, _type in LANGUAGES],
    )
    wheelchair = django_filters.BooleanFilter(
        label=_("Wheelchair access"), method="filter_wheelchair", widget=checkbox()
    )
    newcomers = django_filters.BooleanFilter(label=_("Newcomer-friendly"), method="filter_newcomers", widget=checkbox())
    next_7_days = django_filters.BooleanFilter(
        label=_("In the next 7 days"), method="filter_next_7_days", widget=checkbox()
    )
    sort = django_filters.ChoiceFilter(
        widget=FastSelect(static=True),
        label=_("Sort by"),
        method="filter_nothing",  # applied by the view
        empty_label=_("Distance with a postal code, else next date"),
        choices=[("next", _("Next date")), ("place", _("Place")), ("distance", _("Distance"))],
    )

    class Meta:
        model = Meeting
        fields: list[str] = []

    # The fields that `__init__` changes on its own form: only these are copied for each form (SharedFields).
    FIELDS_CHANGED_PER_FORM = frozenset({"postal_code", "fellowship"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.place: selectors.Place | None = None
        self._words: list[selectors.Word] | None = None
        self.form.fields["postal_code"].validators.append(self._validate_postal_code)
        self.form.fields["fellowship"].label_from_instance = attrgetter("label")

    @classmethod
    @functools.cache
    def shared_form_class(cls):
        """The form class, built once: its fields follow from the declarations alone (none needs the request), and
        django-filter would otherwise build new fields and a new class for every search. Each form gets its own copy
        of the fields an instance changes (`__init__`) and shares the others, which no form changes."""
        fields = {name: filter_.field for name, filter_ in cls.base_filters.items()}
        form_class = type(f"{cls.__name__}Form", (cls._meta.form,), fields)
        form_class.base_fields = SharedFields(form_class.base_fields, per_form=cls.FIELDS_CHANGED_PER_FORM)
        return form_class

    def get_form_class(self):
        return self.shared_form_class()

    # Set by the search (views.run_search): the moment from which the meetings' `days_until` (their next date) is
    # counted, added to the queryset when `qs` is first built. A search whose query is kept (core/sql_templates.py)
    # never builds it, and building the annotation was about 3 % of such a search.
    next_dates_at: datetime.datetime | None = None

    @property
    def qs(self):
        if self.next_dates_at is not None and not hasattr(self, "_qs"):
            self.queryset = schedule.annotate_days_until(self.queryset, self.next_dates_at)
        return super().qs

    def _validate_postal_code(self, value):
        value = (value or "").strip()
        if not value:
            return
        if not POSTAL_CODE_PATTERN.match(value):
            raise forms.ValidationError(_("A postal code has four digits."))
        self.place = selectors.place_for_postal_code(value)
        if self.place is None:
            raise forms.ValidationError(_("Unknown postal code: %(code)s.") % {"code": value})

    def filter_nothing(self, queryset, name, value):
        return queryset

    def filter_text(self, queryset, name, value):
        # Every word in one filter call: each call clones the query built so far. None of the words' conditions
        # follows a many-valued relation, so this is the same as one call per word.
        conditions = (selectors.text_q(word, index) for index, word in enumerate(self.words()))
        return selectors.with_search_text(queryset).filter(*conditions)

    def words(self) -> list[selectors.Word]:
        """The free text's words with what each finds (selectors.words), looked up once per search, and kept in the
        process for the same text under the registry generation the request has read (a group's name can change only
        with it): each word's group lookup was a query, and the same place names are searched again and again."""
        if self._words is None:
            text = (self.form.cleaned_data.get("q") if self.is_bound and not self.form.errors.get("q") else "") or ""
            token = GENERATION.read_in_this_request()
            if not text or token is None or is_private(token):
                self._words = selectors.words(text)
            else:
                self._words = _words_by_token.get_or_make((token, text), lambda: selectors.words(text))
        return self._words

    def filter_time_of_day(self, queryset, name, value):
        if value == "morning":
            return queryset.filter(start_time__lt=MORNING_ENDS)
        if value == "afternoon":
            return queryset.filter(start_time__gte=MORNING_ENDS, start_time__lt=EVENING_STARTS)
        return queryset.filter(start_time__gte=EVENING_STARTS)

    def filter_openness(self, queryset, name, value):
        # Closed wins over open: a meeting marked both is closed.
        if value == "open":
            return queryset.filter(has_type("O")).exclude(has_type("C"))
        return queryset.filter(has_type("C"))

    def filter_attendance(self, queryset, name, value):
        if value == AttendanceMode.HYBRID:
            return queryset.filter(attendance_mode=AttendanceMode.HYBRID)
        return queryset.filter(attendance_mode__in=[value, AttendanceMode.HYBRID])

    def filter_language(self, queryset, name, value):
        # "nb,en": the code alone, first, last or in the middle (LIKE, cheaper than a regular expression).
        listed = (
            Q(languages=value)
            | Q(languages__startswith=f"{value},")
            | Q(languages__endswith=f",{value}")
            | Q(languages__contains=f",{value},")
        )
        return queryset.filter(listed | in_type(LANGUAGE_TYPE_CODES[value]))

    def filter_wheelchair(self, queryset, name, value):
        return queryset.filter(has_type("X")) if value else queryset

    def filter_newcomers(self, queryset, name, value):
        return queryset.filter(has_type("BE")) if value else queryset

    def filter_next_7_days(self, queryset, name, value):
        # Needs `days_until` (registry.schedule.annotate_days_until); 7 days ahead reaches the same weekday
        # next week only before the current time of day.
        if not value:
            return queryset
        return queryset.filter(
            Q(days_until__lt=7) | Q(days_until=7, start_time__lt=self.now_time),
        )

    now_time = datetime.time(0, 0)


MeetingFilter.base_filters = SharedFilters(MeetingFilter.base_filters)
