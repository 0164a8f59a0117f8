"""The contact import page is linked where a unit lead looks, and only for leads (issue 17: 2)."""

import pytest
from django.urls import reverse

from tests.factories import login

IMPORT = f'href="{reverse("referrals:import")}"'
PAGES = [reverse("home"), reverse("referrals:contact_list"), reverse("reports:report")]


@pytest.mark.parametrize("path", PAGES)
def test_lead_finds_the_import_page_linked(client, lead_a, path):
    response = login(client, lead_a).get(path)
    assert response.status_code == 200
    assert IMPORT in response.content.decode()


@pytest.mark.parametrize("path", PAGES)
def test_clinician_gets_no_link_to_a_page_only_leads_may_open(client, clinician_a, path):
    response = login(client, clinician_a).get(path)
    assert response.status_code == 200
    assert IMPORT not in response.content.decode()
