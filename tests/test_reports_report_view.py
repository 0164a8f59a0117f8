"""The unit report page /reports/: headline, trend, breakdowns, suppression, access, query count."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from tests.factories import TargetFactory, login
from tests.reports_helpers import NOW, OCTOBER, in_english, jit_switches, month_of_contacts

pytestmark = pytest.mark.usefixtures("frozen_now")
URL = reverse("reports:report")

# The session (1; the user and the units the user's memberships cover are kept from the first request:
# accounts/principals.py), the report (frozen months, figures, targets, fellowships, clinicians: 5); the session is
# saved at most once a minute, not here. On PostgreSQL each of the three aggregates first switches JIT off.
QUERIES_LEAD_PAGE = 6 + jit_switches(3)


@pytest.fixture
def frozen_now(client):
    in_english(client)
    with time_machine.travel(NOW, tick=False):
        yield


def test_the_trend_choice_is_in_the_page_language(client, lead_a, unit_a):
    month_of_contacts(unit_a, patients=12, referred=3)
    login(client, lead_a)

    english = client.get(URL).content.decode()
    client.cookies["django_language"] = "nb"
    norwegian = client.get(URL).content.decode()

    assert ">12 months<" in english and "måneder" not in english
    assert ">12 måneder<" in norwegian


def test_lead_sees_last_months_rate_with_interval_target_and_trend(client, lead_a, unit_a, clinic):
    month_of_contacts(unit_a, patients=12, referred=3)
    TargetFactory(unit=clinic, target_percent=40)
    login(client, lead_a)

    response = client.get(URL)

    assert response.status_code == 200
    report = response.context["report"]
    assert (report.unit, report.month) == (unit_a, OCTOBER)
    content = response.content.decode()
    assert "25.0 %" in content
    assert "8.9–53.2" in content
    assert "3 of 12 patients" in content
    assert response.context["target"].percent == 40
    assert len(report.points) == 12
    assert 'role="img"' in content and '<title id="trend-title">' in content and '<desc id="trend-desc">' in content


def test_a_patient_with_several_contacts_counts_once_on_the_page(client, lead_a, unit_a):
    month_of_contacts(unit_a, patients=12, referred=3, repeat=3)
    login(client, lead_a)

    headline = client.get(URL).context["headline"]

    assert (headline.numerator, headline.denominator) == ("3", "12")


def test_lead_sees_exact_small_counts_of_their_unit(client, lead_a, unit_a):
    month_of_contacts(unit_a, patients=12, referred=3)
    login(client, lead_a)

    response = client.get(URL)

    assert response.context["suppress"] is False
    assert response.context["headline"].numerator == "3"


def test_clinician_who_does_not_lead_sees_small_counts_as_less_than_five(client, clinician_a, unit_a):
    month_of_contacts(unit_a, patients=12, referred=3)
    login(client, clinician_a)

    response = client.get(URL)

    assert response.context["suppress"] is True
    assert response.context["headline"].numerator == "<5"
    assert "Patients this month: 12." in response.content.decode()
    assert "Referred: &lt;5." in response.content.decode()


def test_analyst_sees_any_unit_with_small_counts_suppressed(client, analyst, unit_b):
    month_of_contacts(unit_b, patients=12, referred=3)
    login(client, analyst)

    response = client.get(URL, {"unit": unit_b.code})

    assert response.status_code == 200
    assert response.context["headline"].numerator == "<5"
    assert response.context["clinicians"] is None


def test_rate_with_too_few_patients_is_not_shown(client, lead_a, unit_a):
    month_of_contacts(unit_a, patients=9, referred=3)
    login(client, lead_a)

    response = client.get(URL)

    assert response.context["headline"].too_few
    assert "Too few to show a rate" in response.content.decode()
    assert response.context["chart"].points == []


def test_breakdown_by_clinician_is_for_the_units_lead_only(client, lead_a, clinician_a, unit_a):
    month_of_contacts(unit_a, patients=12, referred=3, clinician=clinician_a)
    login(client, lead_a)
    assert client.get(URL).context["clinicians"][0].rate.denominator == "12"

    login(client, clinician_a)
    assert client.get(URL).context["clinicians"] is None


def test_clinician_of_another_unit_gets_404_for_unit_a(client, clinician_b, unit_a):
    login(client, clinician_b)

    assert client.get(URL, {"unit": unit_a.code}).status_code == 404


def test_unknown_unit_gets_404(client, analyst, unit_a):
    login(client, analyst)

    assert client.get(URL, {"unit": "NO-SUCH-UNIT"}).status_code == 404


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"month": "2026-13"}, "YYYY-MM"),
        ({"month": "tomorrow"}, "YYYY-MM"),
        ({"month": "2027-01"}, "has not started yet"),
        ({"indicator": "nonsense"}, None),
        ({"span": "7"}, None),
    ],
)
def test_bad_parameters_give_a_clear_error_not_a_crash(client, lead_a, unit_a, params, message):
    login(client, lead_a)

    response = client.get(URL, params)

    assert response.status_code == 400
    assert set(response.context["form"].errors) == set(params)
    if message:
        assert message in response.content.decode()
    assert 'role="alert"' in response.content.decode()
    assert "report" not in response.context


def test_24_month_trend_and_secondary_indicator(client, lead_a, unit_a):
    month_of_contacts(unit_a, patients=12, referred=3)
    login(client, lead_a)

    response = client.get(URL, {"span": "24", "indicator": "data_completeness", "month": "2026-10"})

    report = response.context["report"]
    assert len(report.points) == 24
    assert report.indicator.code == "data_completeness"
    assert response.context["headline"].percent == 100


def test_definitions_box_names_numerator_denominator_exclusions_source_and_time(client, lead_a, unit_a):
    login(client, lead_a)

    content = client.get(URL).content.decode()

    for heading in (
        "Numerator",
        "Denominator",
        "Exclusions",
        "Data source",
        "Produced",
        "BMC Health Serv Res 2009;9:147",
    ):
        assert heading in content


def test_change_against_the_previous_three_months_in_percentage_points(client, lead_a, unit_a):
    month_of_contacts(unit_a, patients=20, referred=10)  # October: 50 %
    for offset, month in enumerate([datetime.date(2026, 7, 1), datetime.date(2026, 8, 1), datetime.date(2026, 9, 1)]):
        month_of_contacts(unit_a, patients=10, referred=2, month=month, prefix=100 * (offset + 1))  # 20 % pooled
    login(client, lead_a)

    response = client.get(URL)

    assert response.context["previous"].percent == 20
    assert response.context["change_points"] == pytest.approx(30)
    assert response.context["change_text"] == "+30.0"


def test_report_page_query_count_does_not_grow_with_rows(
    client, lead_a, unit_a, clinician_a, django_assert_num_queries, settings
):
    settings.REPORT_CACHE_SECONDS = 0  # the rendered path; the cached one is in test_reports_report_cache.py
    login(client, lead_a)
    month_of_contacts(unit_a, patients=5, referred=1, clinician=clinician_a)
    client.get(URL)  # warm per-process caches (content types, translations)
    with django_assert_num_queries(QUERIES_LEAD_PAGE):
        client.get(URL)

    for month in range(1, 11):
        month_of_contacts(
            unit_a, patients=30, referred=9, month=datetime.date(2026, month, 1), clinician=clinician_a, repeat=2
        )
    with django_assert_num_queries(QUERIES_LEAD_PAGE):
        response = client.get(URL)
    assert response.context["report"].figures.eligible == 30


def test_suitable_adjusted_rate_is_compared_with_the_studys_suitable_baseline(client, lead_a, unit_a):
    month_of_contacts(unit_a, patients=12, referred=3)
    login(client, lead_a)

    response = client.get(URL, {"indicator": "suitable_adjusted"})

    assert str(response.context["report"].baseline_percent) == "33.6"
    assert response.context["chart"].baseline.text == "Baseline 33.6 %"
    assert "342 of 1,017" in response.content.decode()


def test_secondary_indicators_without_a_national_figure_show_no_baseline(client, lead_a, unit_a):
    month_of_contacts(unit_a, patients=12, referred=3)
    login(client, lead_a)

    response = client.get(URL, {"indicator": "data_completeness"})

    assert response.context["chart"].baseline is None
    assert "National baseline" not in response.content.decode()


def test_a_viewer_who_does_not_lead_the_unit_sees_no_rate_that_reveals_a_small_count(client, clinician_a, unit_a):
    month_of_contacts(unit_a, patients=12, referred=3)
    login(client, clinician_a)

    response = client.get(URL)
    content = response.content.decode()

    headline = response.context["headline"]
    assert (headline.percent, headline.low, headline.high, headline.suppressed) == (None, None, None, True)
    assert "25.0" not in content and "8.9" not in content and "53.2" not in content


def test_a_viewer_who_does_not_lead_the_unit_sees_neither_rate_nor_count_when_the_rest_is_small(
    client, clinician_a, unit_a
):
    month_of_contacts(unit_a, patients=14, referred=12)
    login(client, clinician_a)

    content = client.get(URL).content.decode()

    assert "85.7" not in content and "12 of 14" not in content
    assert "Referred: hidden." in content and "hidden of 14" not in content


def test_the_units_lead_still_sees_exact_figures_on_screen(client, lead_a, unit_a):
    month_of_contacts(unit_a, patients=14, referred=12)
    login(client, lead_a)

    response = client.get(URL)

    assert response.context["suppress"] is False
    assert "85.7 %" in response.content.decode() and "12 of 14" in response.content.decode()
