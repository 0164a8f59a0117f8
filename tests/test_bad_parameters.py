"""Every date, month and year parameter of every page and export: a bad value is a form error or a 400, never a 500.

`/contacts/?month=9999-12` was a 500 (OverflowError: no month follows December 9999), and so was the admin's date
hierarchy at year 9999. Each URL below is asked with each hostile value; each has one right answer.
"""

import pytest
from django.contrib import admin

from tests.factories import login

HOSTILE = [
    "9999-12",
    "9999-99-99",
    "9999-12-31",
    "9999",
    "0000-00",
    "0001-01",
    "1900-01",
    "2101-01",
    "10000-01",
    "99999999999999999999-01",
    "2026-13",
    "2026-00",
    "2026-1",
    "-1",
    "0",
    "1e309",
    "NaN",
    "\x00",
    "２０２６-１０",
    "2026-10' OR '1'='1",
]
MONTH_ERROR = "Write the month as YYYY-MM"

# (persona, path, parameter, the answer to a bad value)
MONTH_PARAMETERS = [
    ("clinician_a", "/contacts/", "month", "form error"),
    ("lead_a", "/reports/", "month", 400),
    *[("lead_a", f"/reports/export.{fmt}", "month", 400) for fmt in ("csv", "xlsx", "html", "pdf")],
    ("analyst", "/reports/compare/", "month", 400),
    *[("analyst", f"/reports/compare/export.{fmt}", "month", 400) for fmt in ("csv", "xlsx", "html", "pdf")],
]


@pytest.fixture(autouse=True)
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.mark.parametrize("persona,path,parameter,answer", MONTH_PARAMETERS)
def test_a_bad_month_is_a_form_error_or_a_400(request, client, unit_a, persona, path, parameter, answer):
    login(client, request.getfixturevalue(persona))
    assert client.get(path, {parameter: "2026-09"}).status_code == 200  # a good value: the test sees the difference
    for value in HOSTILE:
        response = client.get(path, {parameter: value})
        if answer == "form error":
            assert response.status_code == 200, value
            assert MONTH_ERROR in response.content.decode(), value
        else:
            assert response.status_code == answer, value


def _admin_date_parameters():
    """Every date-hierarchy and date-filter parameter of every admin list."""
    for model, model_admin in admin.site._registry.items():
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        if model_admin.date_hierarchy:
            field = model_admin.date_hierarchy
            yield url, {f"{field}__year": "{}"}
            yield url, {f"{field}__year": "9999", f"{field}__month": "{}"}
            yield url, {f"{field}__year": "9999", f"{field}__month": "12", f"{field}__day": "{}"}
        for entry in model_admin.list_filter:
            if isinstance(entry, tuple) and issubclass(entry[1], admin.DateFieldListFilter):
                yield url, {f"{entry[0]}__gte": "{}"}
                yield url, {f"{entry[0]}__lt": "{}"}


ADMIN_DATE_PARAMETERS = list(_admin_date_parameters())


def test_the_admin_has_date_parameters_to_test():
    assert len(ADMIN_DATE_PARAMETERS) >= 5


@pytest.mark.parametrize("url,parameters", ADMIN_DATE_PARAMETERS)
def test_a_bad_date_in_an_admin_list_is_refused_with_the_admin_s_message(client, administrator, url, parameters):
    """The admin answers a bad filter by redirecting to the list with ?e=1 ("Database error"/bad lookup)."""
    login(client, administrator)
    for value in HOSTILE:
        query = {name: template.format(value) for name, template in parameters.items()}
        response = client.get(url, query)
        range_filter = any(name.endswith(("__gte", "__lt")) for name in parameters)
        if range_filter and value == "9999-12-31":  # a real date: the list answers, empty
            assert response.status_code == 200, query
        else:
            assert response.status_code == 302, query
            assert response["Location"].endswith("?e=1"), query
