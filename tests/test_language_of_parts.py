"""Language of parts (WCAG 3.1.2, issue 17, 19): English that stays English on a Norwegian page says so with lang="en".

The baseline study's reference keeps its English title on the report page and the printable report; the meeting
types' English names (the Meeting Guide spec's own labels) stay English in the Norwegian admin.
"""

import re

import pytest
import time_machine
from django.urls import reverse

from registry.models import MeetingType
from reports.indicators import BASELINE_CITATION
from tests.factories import login
from tests.reports_helpers import NOW, month_of_contacts

pytestmark = pytest.mark.django_db


def english_parts(html: str) -> list[str]:
    """The text of every <span lang="en"> in the page."""
    return [re.sub(r"\s+", " ", text).strip() for text in re.findall(r'(?s)<span lang="en">(.*?)</span>', html)]


@pytest.mark.parametrize("page", [reverse("reports:report"), reverse("reports:export", args=["html"])])
def test_the_baseline_reference_is_marked_english_on_the_norwegian_report(client, lead_a, unit_a, page):
    with time_machine.travel(NOW, tick=False):
        month_of_contacts(unit_a, patients=12, referred=3)
        login(client, lead_a)
        client.cookies["django_language"] = "nb"
        html = client.get(page).content.decode()

    assert 'lang="nb"' in html
    assert english_parts(html).count(BASELINE_CITATION) == 1
    # What the study found is translated, so it stays outside the English part.
    assert "aktivt henvist" in html
    assert not any("aktivt henvist" in part for part in english_parts(html))


def test_the_meeting_types_english_names_are_marked_english_in_the_norwegian_admin(client, curator):
    client.cookies["django_language"] = "nb"
    login(client, curator)
    newcomer = MeetingType.objects.get(code="BE")

    listing = client.get(reverse("admin:registry_meetingtype_changelist")).content.decode()
    change = client.get(reverse("admin:registry_meetingtype_change", args=["BE"])).content.decode()

    assert newcomer.name_en in english_parts(listing)
    assert newcomer.name_nb not in english_parts(listing)
    assert english_parts(listing).count(newcomer.name_en) == 1
    assert newcomer.name_en in english_parts(change)
    assert 'name="name_nb"' in change and 'name="name_en"' not in change
