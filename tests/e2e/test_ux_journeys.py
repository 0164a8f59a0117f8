"""Issue 17's journeys in the browser: distance order, the meeting picker, error summaries, focus kept visible above
the sticky save bar, focus after search pagination, and pages that never scroll sideways at 320 CSS px.

Keyboard-only journeys press Tab and Enter; nothing is clicked.
"""

import datetime
import re

import pytest
from playwright.sync_api import expect

from referrals.models import PatientContact
from tests.factories import FellowshipFactory, PatientContactFactory, TypedMeetingFactory, municipality
from tests.main_pages import build_world, main_pages, require_route

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Where the focused element is, and whether the sticky save bar (if any) covers it.
FOCUS_PROBE = """() => {
  const element = document.activeElement;
  if (!element || element === document.body) return {tag: "BODY", visible: false};
  const box = element.getBoundingClientRect();
  const bar = document.querySelector(".form-actions");
  let covered = false;
  if (bar && !bar.contains(element)) {
    const barTop = bar.getBoundingClientRect().top;
    covered = box.top >= barTop - 1 || (box.bottom > barTop + 1 && box.height < 80);
  }
  const inView = box.bottom > 0 && box.top < window.innerHeight && box.right > 0 && box.left < window.innerWidth;
  return {tag: element.tagName, id: element.id, name: element.name || "", visible: inView && !covered,
          top: Math.round(box.top), bottom: Math.round(box.bottom)};
}"""


def tuesday_meetings():
    aa = FellowshipFactory(code="AA")
    return [
        TypedMeetingFactory(
            name="Arendal morgen",
            group__fellowship=aa,
            municipality=municipality("4203"),
            weekday=2,
            start_time=datetime.time(8, 0),
        ),
        TypedMeetingFactory(
            name="Kristiansand kveld", group__fellowship=aa, weekday=2, start_time=datetime.time(20, 0)
        ),
        TypedMeetingFactory(name="Kristiansand onsdag", group__fellowship=aa, weekday=3),
    ]


def result_names(page) -> list[str]:
    return page.locator("#search-results .registry-result h3").all_inner_texts()


def test_search_near_a_postal_code_after_a_weekday_sorts_by_distance(page):
    """Issue 17.1: tick Tuesday, then type 4611: nearest first, although the form was submitted before."""
    tuesday_meetings()
    page.goto("/meetings/")
    page.locator("input[name=weekday][value='2']").check()
    expect(page.locator("#search-status")).to_contain_text("2")
    assert result_names(page) == ["Arendal morgen", "Kristiansand kveld"]
    page.locator("input[name=postal_code]").fill("4611")
    page.locator("input[name=postal_code]").press("Tab")  # a change submits the form
    expect(page).to_have_url(re.compile(r"postal_code=4611"))
    expect(page.locator("#search-results .registry-facts").first).to_contain_text("km")
    assert result_names(page) == ["Kristiansand kveld", "Arendal morgen"]
    assert page.locator("select[name=sort]").input_value() == ""


def test_clinician_finds_the_nearest_tuesday_meeting_in_the_contact_form(page, login_as, clinician_a):
    """Issue 17.6: the picker has the public search's postal code and weekday filters."""
    arendal, kristiansand, _wednesday = tuesday_meetings()
    login_as(clinician_a)
    page.goto("/contacts/new/")
    page.locator("input[name=patient_reference]").fill("EP-77")
    page.locator("input[name=intensity][value='2']").check()
    page.locator("input[name='ms-weekday'][value='2']").check()
    expect(page.locator("#meeting-status")).to_have_text(re.compile("2"))
    page.locator("input[name='ms-postal_code']").fill("4611")
    page.locator("input[name='ms-postal_code']").press("Enter")  # searches, does not save
    choices = page.locator("#meeting-choices")
    expect(choices.locator(".meeting-label__place").first).to_contain_text("km")
    labels = choices.locator(".meeting-group:not(.meeting-group--chosen) label").all_inner_texts()
    assert [label.split(" · ")[2].splitlines()[0] for label in labels] == [kristiansand.name, arendal.name]
    assert not PatientContact.objects.exists()
    page.locator(f"#meeting-{kristiansand.pk}").check()
    page.locator("button[name=action][value=save]").click()
    expect(page).to_have_url(re.compile(r"/contacts/\d+/$"))
    assert list(PatientContact.objects.get().suggested_meetings.all()) == [kristiansand]


def test_failed_submit_focuses_the_error_summary_whose_links_focus_the_fields(page, login_as, clinician_a):
    """Issue 17.11 and 19: focus goes to the summary (not the patient field); each link focuses its field."""
    login_as(clinician_a)
    page.goto("/contacts/new/")
    page.locator("input[name=patient_reference]").fill("EP-78")
    page.locator("input[name=contacted_on]").fill("")
    page.locator("input[name=contacted_on]").press("Enter")  # Enter in a date field saves (and fails here)
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    links = summary.locator("a")
    assert sorted(links.evaluate_all("links => links.map(link => link.getAttribute('href'))")) == [
        "#id_contacted_on",
        "#id_intensity_0",
    ]
    summary.locator("a[href='#id_intensity_0']").click()
    expect(page.locator("#id_intensity_0")).to_be_focused()
    assert page.evaluate(FOCUS_PROBE)["visible"]


def tab_to_the_save_button(page, limit: int = 150) -> list[dict]:
    """Every stop from the heading to the save bar's first button, pressing Tab only."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        seen.append(page.evaluate(FOCUS_PROBE))
        if page.evaluate("() => document.activeElement.matches('.form-actions button')"):
            return seen
    raise AssertionError(f"the save button was not reached in {limit} stops: {seen[-3:]}")


@pytest.mark.parametrize(
    "viewport", [{"width": 1280, "height": 720}, {"width": 640, "height": 360}], ids=["1280", "zoom200"]
)
def test_every_focused_field_stays_visible_above_the_save_bar(page, login_as, unit_a, clinician_a, viewport):
    """Issue 17.15: Tab through the new-contact, edit and follow-up forms; no stop is hidden (640×360 is 200 %)."""
    tuesday_meetings()
    contact = PatientContactFactory(unit=unit_a, clinician=clinician_a, intensity=1)
    login_as(clinician_a)
    page.set_viewport_size(viewport)
    for path in ("/contacts/new/", f"/contacts/{contact.pk}/edit/", f"/contacts/{contact.pk}/follow-up/"):
        page.goto(path)
        page.locator("h1").click()  # the keyboard starts from the heading, as after reading it
        stops = tab_to_the_save_button(page)
        hidden = [stop for stop in stops if not stop["visible"]]
        assert hidden == [], f"{path}: focus hidden at {len(hidden)} of {len(stops)} stops: {hidden}"


def test_keyboard_pagination_moves_focus_to_the_new_results_and_says_which_page(page):
    """Issue 17.16: Enter on "Next" keeps focus in the results and the status names the page."""
    for number in range(25):
        TypedMeetingFactory(name=f"Møte {number:02d}", weekday=1 + number % 7)
    page.goto("/meetings/")
    next_link = page.locator("a[rel=next]")
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.getAttribute('rel')") == "next":
            break
    expect(next_link).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#search-status")).to_contain_text("2")
    heading = page.locator("#results-heading")
    expect(heading).to_be_focused()
    assert page.evaluate(FOCUS_PROBE)["visible"]
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.closest('#search-results') !== null")
    assert focused, "the next Tab stays in the results"
    assert re.search(r"[?&]page=2", page.url)


def test_wide_screen_has_a_jump_past_the_filters(page):
    """Issue 17.19: the first stop in the filter form jumps to the results on a wide screen too."""
    TypedMeetingFactory(name="Møtet")
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto("/meetings/")
    jump = page.locator("a.registry-jump")
    expect(jump).to_be_visible()
    jump.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#results-heading")).to_be_focused()


@pytest.fixture
def world(unit_a, clinician_a, lead_a):
    return build_world(unit=unit_a, clinician=clinician_a)


@pytest.mark.parametrize("label", [p.label for p in main_pages() if not p.path.startswith("/admin/")])
def test_no_main_page_scrolls_sideways_at_320_css_pixels(request, page, login_as, world, label):
    """Issue 17.17 (WCAG 1.4.10): at 320 CSS px every main page fits its width."""
    main_page = next(p for p in main_pages(world) if p.label == label)
    require_route(main_page.path)
    if main_page.persona:
        login_as(request.getfixturevalue(main_page.persona))
    page.set_viewport_size({"width": 320, "height": 640})
    response = page.goto(main_page.path)
    assert response.status == 200, f"{label}: {response.status}"
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 320, f"{label} is {width} px wide at 320"


def test_lead_reaches_the_contact_import_from_home_contacts_and_report(page, login_as, lead_a):
    """Issue 17.2: the import page is one click away wherever a lead looks."""
    login_as(lead_a)
    for start in ("/", "/contacts/", "/reports/"):
        page.goto(start)
        page.locator("main a[href='/contacts/import/']").first.click()
        expect(page).to_have_url(re.compile(r"/contacts/import/$"))
        expect(page.locator("input[type=file]")).to_be_visible()
