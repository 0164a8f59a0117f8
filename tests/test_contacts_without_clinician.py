"""A journey: contacts imported with an empty clinician cell, then every page that lists or shows them.

The upload page says the clinician column may be empty; such contacts must render everywhere they
appear, for every persona that may see them, in both languages.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from referrals.models import PatientContact
from tests.factories import FellowshipFactory, login

HEADER = "date,unit,patient_ref,setting,intensity,fellowships,response,clinician"
ROWS = ["2026-11-02,RUS-POL,EP-NOCLIN-1,outpatient,2,AA,positive,", "2026-11-03,RUS-POL,EP-NOCLIN-2,detox,0,,,"]


pytestmark = pytest.mark.usefixtures("frozen_today")  # tests/conftest.py


@pytest.fixture
def fellowships(db):
    return FellowshipFactory(code="AA"), FellowshipFactory(code="NA")


@pytest.fixture
def imported_contacts(client, lead_a, unit_a, fellowships):
    login(client, lead_a)
    content = ("\n".join([HEADER, *ROWS]) + "\n").encode()
    upload = SimpleUploadedFile("extract.csv", content, content_type="text/csv")
    preview = client.post("/contacts/import/", {"action": "upload", "file": upload})
    assert preview.context["plan"].counts["created"] == 2
    confirm = client.post("/contacts/import/", {"action": "confirm", "sha256": preview.context["sha256"]})
    assert confirm.status_code == 302
    client.logout()
    contacts = list(PatientContact.objects.filter(unit=unit_a).order_by("contacted_at"))
    assert [contact.clinician for contact in contacts] == [None, None]
    return contacts


def contact_pages(contact) -> list[str]:
    return [
        f"/contacts/{contact.pk}/",
        f"/contacts/{contact.pk}/edit/",
        f"/contacts/{contact.pk}/delete/",
        f"/contacts/{contact.pk}/follow-up/",
        f"/contacts/{contact.pk}/handout/",
        f"/contacts/{contact.pk}/handout.pdf",
    ]


LIST_PAGES = ["/", "/contacts/", "/contacts/?month=2026-11", "/contacts/worklist/"]
REPORT_PAGES = ["/reports/", "/reports/export.csv", "/reports/export.xlsx", "/reports/export.html"]


@pytest.mark.parametrize("language", ["nb", "en"])
@pytest.mark.parametrize("persona", ["clinician_a", "lead_a"])
def test_unit_staff_open_every_page_showing_contacts_without_clinician(
    client, request, imported_contacts, persona, language
):
    login(client, request.getfixturevalue(persona))
    client.cookies["django_language"] = language

    for url in LIST_PAGES + [url for contact in imported_contacts for url in contact_pages(contact)]:
        response = client.get(url)
        assert response.status_code == 200, url

    listing = client.get("/contacts/").content.decode()
    assert "EP-NOCLIN" not in listing  # patient references are never shown in clear
    assert listing.count("<td>—</td>") >= 2  # the clinician column reads "—", not an error


def test_lead_reports_and_exports_count_contacts_without_clinician(client, lead_a, imported_contacts):
    login(client, lead_a)

    for url in REPORT_PAGES:
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("persona", ["analyst", "administrator"])
def test_other_roles_reach_reports_and_admin_with_such_contacts(client, request, imported_contacts, persona):
    login(client, request.getfixturevalue(persona))

    assert client.get("/reports/").status_code == 200
    assert client.get("/").status_code == 200
    if persona == "administrator":
        assert client.get("/admin/referrals/accesslogentry/").status_code == 200
