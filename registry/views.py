"""Public meeting search, meeting and group pages, and calendar files.

Open to anyone when settings.REGISTRY_PUBLIC is on, otherwise to logged-in users. The search page works as a
plain GET form; with HTMX the form and the page links fetch only the results partial.
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Page, Paginator
from django.db.models import Count, F, FloatField, Model, Value, Window
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from core import sql_templates
from core.freshness import is_stale
from core.generations import is_private
from registry import cards, ical, page_cache, schedule, selectors
from registry.changes import GENERATION
from registry.filters import MeetingFilter
from registry.models import Group, Meeting, Status
from registry.page_cache import cached_for_anonymous
from registry.templatetags import search_form

PAGE_SIZE = 20
CALENDAR_LIMIT = 500


def registry_access(view):
    """Anyone when the registry is public, otherwise logged-in users (checked per request, not at import)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not settings.REGISTRY_PUBLIC and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapped


@dataclass
class Result:
    meeting: Meeting | cards.CardMeeting
    next: schedule.Occurrence | None
    distance_km: float | None
    is_open: bool | None
    is_stale: bool


def _result(
    meeting: Meeting | cards.CardMeeting,
    now: datetime.datetime,
    place: selectors.Place | None,
    is_open: bool | None,
) -> Result:
    distance = None
    if place is not None and meeting.attendance_mode != "online":
        point = meeting if meeting.latitude is not None and meeting.longitude is not None else meeting.municipality
        if point is not None:
            distance = selectors.distance_km(place, point.latitude, point.longitude)
    return Result(
        meeting=meeting,
        next=schedule.next_occurrence(meeting, after=now),
        distance_km=distance,
        is_open=is_open,
        is_stale=is_stale(meeting.last_verified_at, now),
    )


@dataclass
class Search:
    filterset: MeetingFilter
    sort: str
    place: selectors.Place | None
    radius_km: float | None
    # Near a postal code: a row (id, distance in km, days until the next date) for every meeting within the radius,
    # in order (the queryset is then not run).
    rows: list[tuple] | None = None
    # What its queries depend on but the values (`_shape`; None: compiled afresh), and the values by slot.
    shape: tuple | None = None
    values: dict | None = None

    @functools.cached_property
    def queryset(self):
        """The meetings found, ordered: built only where a query is compiled from it."""
        return self.filterset.qs.order_by(*_ordering(self.sort))

    @property
    def is_text(self) -> bool:
        """Whether the search has free text, whose filtering costs more than sorting (`paginate`)."""
        return bool(self.filterset.is_bound and self.filterset.form.cleaned_data.get("q"))

    def ordered_ids(self):
        """The result's ids in order: a list, or a lazy query for a page or a slice."""
        if self.rows is not None:
            return [row[0] for row in self.rows]
        return self.queryset.values_list("pk", flat=True)

    def ordered_rows(self, *, with_total: bool = False):
        """(id, distance in km or None, days until the next date or None) of the result in order: a list, or a lazy
        query for a page. Enough to find each result's card in the cache (page_cache.result_cards). `with_total`
        adds the number of rows in the whole result to each row of the query."""
        if self.rows is not None:
            return self.rows
        columns = ["pk", Value(None, output_field=FloatField()), "days_until"]
        if with_total:
            columns.append(Window(Count("pk")))
        return self.queryset.values_list(*columns)


def _ordering(sort: str) -> tuple:
    if sort == "distance":
        return ("distance_km", F("days_until").asc(nulls_last=True), "start_time", "pk")
    if sort == "place":
        return (
            F("municipality__county__number").asc(nulls_last=True),
            F("municipality__name").asc(nulls_last=True),
            F("days_until").asc(nulls_last=True),
            "start_time",
            "pk",
        )
    # A meeting whose valid_to comes before its next date has none: last (NULLS FIRST is SQLite's default).
    return (F("days_until").asc(nulls_last=True), "start_time", "name", "pk")


# (date, query): the active meetings with dates left on that date in Oslo (`_searchable`).
_searchable_today: tuple[datetime.date | None, object] = (None, None)


def _searchable(now: datetime.datetime):
    """The active meetings with dates left (schedule.has_next_date_q): their conditions are the same all day, so the
    query is built once a day (its seven lookups cost about 0.15 ms a search to build). It is never run itself:
    every search builds on a clone of it."""
    global _searchable_today
    today = schedule.local_now(now).date()
    day, queryset = _searchable_today
    if day != today:
        queryset = Meeting.objects.active(schedule.has_next_date_q(now))
        _searchable_today = (today, queryset)
    return queryset


def run_search(data, now: datetime.datetime, *, prefix: str | None = None) -> Search:
    """Filter, measure and order active meetings as `data` (a query string) asks; nothing is loaded yet, except near
    a postal code, where the rows within the chosen radius are read (selectors.nearest).

    The contact form's meeting picker runs the same search on its own fields (prefix "ms").
    """
    # No joins here: the page's meetings are loaded with theirs once the page is known, and only those whose card
    # is not cached (page_cache.result_cards, `results_for`).
    filterset = MeetingFilter(data or None, queryset=_searchable(now), prefix=prefix)
    filterset.next_dates_at = now
    filterset.now_time = schedule.local_now(now).time().replace(tzinfo=None)
    place = filterset.place if filterset.is_bound and not filterset.form.errors.get("postal_code") else None
    # The menu's empty choice means "nearest first with a postal code, else next date": only an order the user
    # picked is sent back, so typing a postal code after a first search still sorts by distance.
    chosen = (filterset.form.cleaned_data.get("sort") if filterset.is_bound else "") or ""
    if chosen not in {"next", "place", "distance"} or (chosen == "distance" and place is None):
        chosen = ""
    sort = chosen or ("distance" if place is not None else "next")
    sort_key = filterset.form.add_prefix("sort")
    if filterset.is_bound and filterset.form.data.get(sort_key, "") != chosen:
        data = filterset.form.data.copy()  # the form is already cleaned; this only sets the menu
        data[sort_key] = chosen
        filterset.form.data = data
    shape = _shape(filterset, now, sort)
    values = schedule.days_until_values(now) | selectors.text_values(filterset.words())
    if place is not None:
        # The rows are the result: the queryset is not run (nor measured from the place, which costs to build).
        radius, rows = selectors.nearest(
            lambda: filterset.qs, place, order_by=_ordering(sort), also=("days_until",), key=shape, values=values
        )
        return Search(filterset=filterset, sort=sort, place=place, radius_km=radius, rows=rows)
    return Search(filterset=filterset, sort=sort, place=None, radius_km=None, shape=shape, values=values)


def _shape(filterset: MeetingFilter, now: datetime.datetime, sort: str) -> tuple | None:
    """Everything the SQL of a search depends on but the place, the time of day and the free text's words and what
    they find, or None where its query must be compiled afresh (core/sql_templates.py): the filters as cleaned, the
    date in Oslo, and the registry's generation as this request read it (a fellowship's id). "In the next 7 days"
    compares with the time of day in a condition of its own."""
    token = GENERATION.read_in_this_request()
    cleaned = filterset.form.cleaned_data if filterset.is_bound else {}
    if token is None or is_private(token) or cleaned.get("next_7_days"):
        return None
    filters = []
    for name, value in sorted(cleaned.items()):
        if name == "postal_code":
            continue
        if name == "q":  # the words are marked, the ids they find too: only the shape of their conditions counts
            value = tuple(word.shape for word in filterset.words())
        elif isinstance(value, list):
            value = tuple(value)
        elif isinstance(value, Model):
            value = (value._meta.label, value.pk)
        filters.append((name, value))
    return (token, schedule.local_now(now).date(), sort, tuple(filters))


def paginate(result: Search, number):
    """A page of the result's narrow rows (`Search.ordered_rows`): they sort fast, and only the wide rows of the page's
    meetings whose card is not cached are loaded afterwards (sorting 100,000 joined rows makes a naive version slow).

    With free text, the page and its total come from one query (COUNT(*) OVER ()), not a count and a page query that
    would each look up every word again. Without, the two are cheaper: the window would hold every row of a large
    result (all 92,000 meetings: 59 → 134 ms) where the page's sort keeps only 20. As Django's `get_page`, a page
    number that is not a number gives the first page, and one out of range the last."""
    if result.rows is not None:
        return Paginator(result.rows, PAGE_SIZE).get_page(number)
    if not result.is_text:
        return Paginator(result.ordered_rows(), PAGE_SIZE).get_page(number)
    try:
        number = int(number)
    except (TypeError, ValueError):
        number = 1
    start = (number - 1) * PAGE_SIZE
    rows = []
    if number >= 1:
        rows = sql_templates.rows(
            result.shape and (result.shape, "text page", number),
            lambda: result.ordered_rows(with_total=True)[start : start + PAGE_SIZE],
            result.values,
        )
    if not rows and number != 1:
        return Paginator(result.ordered_rows(), PAGE_SIZE).get_page(number)
    paginator = Paginator([], PAGE_SIZE)
    paginator.count = rows[0][-1] if rows else 0  # a cached property: set, it is not counted again
    return Page([row[:-1] for row in rows], number, paginator)


def load_meetings(ids: list[int]) -> list[Meeting]:
    """The given meetings with everything a result shows, in the given order (two queries)."""
    by_id = Meeting.objects.for_listing().in_bulk(ids)
    return [by_id[pk] for pk in ids if pk in by_id]


def results_for(search: Search, ids: list[int], now: datetime.datetime) -> list[Result]:
    """The given meetings of a search as results (next date, distance, badge and freshness), in the given order, with
    the meetings as model instances: the contact form's meeting picker (referrals/views.py) shows them.

    One query: the meetings with what a card shows of their group, fellowship and municipality, and whether each is
    open, read on its row as the cards read it (selectors.is_open_sql).
    """
    meetings = Meeting.objects.select_related("group__fellowship", "municipality")
    by_id = meetings.annotate(is_open=selectors.is_open_sql()).in_bulk(ids)
    return [_result(by_id[pk], now, search.place, by_id[pk].is_open) for pk in ids if pk in by_id]


def card_results(loaded, now: datetime.datetime, place: selectors.Place | None = None) -> list[Result]:
    """Meetings as `cards.load` or `cards.load_ids` read them, as results for their cards, in the same order."""
    return [_result(meeting, now, place, is_open) for meeting, is_open in loaded]


def _search_context(request: HttpRequest) -> dict:
    now = timezone.now()
    result = run_search(request.GET, now)
    page = paginate(result, request.GET.get("page"))
    # The cards are put in the page's order by id: the meetings' own order would only cost a sort.
    shown, points = page_cache.result_cards(
        list(page.object_list),
        lambda ids: card_results(cards.load_ids(ids), now, result.place),
    )
    return {
        "filter": result.filterset,
        "form": result.filterset.form,
        "page": page,
        "cards": shown,
        "map_points": points,
        "sort": result.sort,
        "place": result.place,
        "radius_km": result.radius_km,
        "radii_km": selectors.RADII_KM,
        "min_nearby": selectors.MIN_NEARBY,
        "query_string": request.GET.urlencode(),
        "calendar_url": f"{reverse('registry:search_ics')}?{request.GET.urlencode()}",
        "is_filtered": bool(request.GET.dict().keys() - {"page", "sort"}),
    }


@require_safe
@registry_access
@cached_for_anonymous
def search(request: HttpRequest) -> HttpResponse:
    # The form and the results hold nothing of the visitor's own: rendered once per address, language and minute
    # and shared (registry/page_cache.py); only the page around them (menu, quick searches) is per visitor. The
    # quick searches around the user's units come from the referrals side (config/context_processors.py).
    if request.htmx:
        results = "registry/_results.html"
        return HttpResponse(
            page_cache.shared_fragment(
                request, results, lambda: render_to_string(results, _search_context(request), request=request)
            )
        )
    body = page_cache.shared_fragment(request, "registry/_search_body.html", lambda: _search_body(request))
    return page_cache.render_around(request, "registry/search.html", body)


def _search_body(request: HttpRequest) -> str:
    """The search form and its results: the two parts rendered for this search, in the body's frame."""
    context = _search_context(request)
    parts = {
        "filter_fields": search_form.filter_fields(
            context["form"], lambda: render_to_string("registry/_filter_fields.html", context, request=request)
        ),
        "results": render_to_string("registry/_results.html", context, request=request),
    }
    frame = {"map_tile_url": settings.REGISTRY_MAP_TILE_URL, "map_attribution": settings.REGISTRY_MAP_ATTRIBUTION}
    return page_cache.render_frame("registry/_search_body.html", frame, parts)


def _calendar_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_safe
@registry_access
@cached_for_anonymous
def search_ics(request: HttpRequest) -> HttpResponse:
    """The search result as one calendar file (at most CALENDAR_LIMIT meetings, in the page's order)."""
    result = run_search(request.GET, timezone.now())
    meetings = load_meetings(list(result.ordered_ids()[:CALENDAR_LIMIT]))
    content = ical.calendar_bytes(
        meetings,
        base_url=request.build_absolute_uri("/"),
        host=request.get_host(),
        name=_("Self-help meetings"),
    )
    return _calendar_response(content, "meetings.ics")


def _meeting_for_page(slug: str) -> Meeting:
    # Inactive meetings keep their page (old links, referrals that name them) with a notice.
    return get_object_or_404(Meeting.objects.for_listing().select_related("last_verified_by"), slug=slug)


@require_safe
@registry_access
@cached_for_anonymous
def meeting_detail(request: HttpRequest, slug: str) -> HttpResponse:
    meeting = _meeting_for_page(slug)
    now = timezone.now()
    types = list(meeting.types.all())
    upcoming = list(schedule.occurrences(meeting, after=now, limit=4)) if meeting.status == Status.ACTIVE else []
    context = {
        "meeting": meeting,
        "types": types,
        # Open and closed are the badge at the top; the list shows the rest.
        "other_types": [t for t in types if t.code not in (schedule.OPEN, schedule.CLOSED)],
        "is_open": schedule.is_open(t.code for t in types),
        "upcoming": upcoming,
        "is_stale": meeting.is_stale,
        "other_meetings": meeting.group.meetings.active().exclude(pk=meeting.pk).select_related("municipality"),
    }
    return render(request, "registry/meeting_detail.html", context)


@require_safe
@registry_access
@cached_for_anonymous
def meeting_ics(request: HttpRequest, slug: str) -> HttpResponse:
    meeting = _meeting_for_page(slug)
    events = ical.meeting_events([meeting], base_url=request.build_absolute_uri("/"), host=request.get_host())
    if not events:
        # Ended (past its last date): an empty calendar would look like a broken subscription.
        message = _("%(meeting)s has no dates left: it has ended, so there is no calendar for it.")
        return HttpResponseNotFound(message % {"meeting": meeting.name}, content_type="text/plain; charset=utf-8")
    return _calendar_response(ical.events_calendar(events, name=meeting.name), f"{meeting.slug}.ics")


@require_safe
@registry_access
@cached_for_anonymous
def group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    group = get_object_or_404(Group.objects.select_related("fellowship", "municipality__county"), pk=pk)
    now = timezone.now()
    meetings = group.meetings.exclude(status=Status.INACTIVE).order_by("weekday", "start_time")
    url = cards.detail_urls()
    context = {
        "group": group,
        "cards": [cards.card(result, url) for result in card_results(cards.load(meetings), now)],
        "is_stale": is_stale(group.last_verified_at, now),
    }
    return render(request, "registry/group_detail.html", context)
