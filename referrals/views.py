"""Clinician screens for patient contacts: record, list, look up, edit, follow up, delete.

Every view that shows or changes patient-level data writes the access log: detail pages one
entry, lists one entry per contact shown (so that "all access to this patient" is complete).
"""

from __future__ import annotations

import datetime
import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import leads_any_unit, led_units, patient_data_required, patient_unit_ids, patient_units
from core.periods import OSLO
from referrals import audit, list_cache, services
from referrals.access import (
    get_follow_up_for_user,
    recording_unit_ids,
    recording_units,
    shows_contact,
)
from referrals.forms import (
    ContactFilterForm,
    ContactForm,
    DeleteContactForm,
    FollowUpForm,
    PatientLookupForm,
)
from referrals.models import PatientContact, Reason
from referrals.presentation import contact_comparison, follow_up_comparison
from referrals.selectors import MEETING_RESULTS_SHOWN, clinicians_of, contact_page, earlier_contacts, filter_contacts
from referrals.services import ContactConflict, FollowUpConflict
from registry.views import results_for, run_search

LIST_PAGE_SIZE = 50
WORKLIST_PAGE_SIZE = 50
SESSION_UNIT = "referrals_unit"
PICKER_PREFIX = "ms"


def _recording_units(request):
    return recording_units(request.user, patient_units(request.user))


def _edit_conflict(request, context: dict, current, comparison, *, contact: PatientContact, detail: str):
    """Someone saved `current` (a contact or follow-up) since the form was opened: show what differs and who saved,
    log that the stored version was shown, and return the user's values with the current version, so that saving
    again overwrites it knowingly. `detail` is the access log's name of the object ("" for the contact itself)."""
    saved_by = current.updated_by
    conflict_by = {"username": saved_by.username, "at": current.updated_at} if saved_by is not None else None
    context.update(conflict=current, comparison=comparison, conflict_by=conflict_by)
    audit.log_access(
        user=request.user,
        action=audit.Action.VIEW,
        request=request,
        contact=contact,
        detail=f"{detail} edit conflict".strip(),
    )
    data = request.POST.copy()
    data["version"] = str(current.version)
    return data


def _colleagues(user):
    """The clinicians a unit lead may record a contact for (themself excluded), or None for non-leads."""
    if not leads_any_unit(user):
        return None
    return clinicians_of(led_units(user)).exclude(pk=user.pk)


def _today() -> datetime.date:
    return timezone.localdate(timezone=OSLO)


def _default_unit(request, units):
    units = list(units)
    remembered = request.session.get(SESSION_UNIT)
    for unit in units:
        if unit.pk == remembered:
            return unit
    return units[0] if units else None


def _posted_unit(request, units):
    value = request.POST.get("unit", "")
    return units.filter(pk=int(value)).first() if value.isdigit() else None


def _meeting_context(form: ContactForm, data, unit) -> dict:
    """The meeting picker: the public search's filters (prefix "ms") and up to 40 results, ticked meetings first.

    Before the first search (`data` None) it shows the unit's municipality.
    """
    selected = form.selected_meetings()
    if data is None:
        data = QueryDict(mutable=True)
        if unit is not None and unit.municipality_id:
            data[f"{PICKER_PREFIX}-municipality"] = unit.municipality_id
    now = timezone.now()
    search = run_search(data, now, prefix=PICKER_PREFIX)
    chosen = {meeting.pk for meeting in selected}
    ids = [pk for pk in search.ordered_ids()[: MEETING_RESULTS_SHOWN + len(chosen)] if pk not in chosen]
    return {
        "selected_meetings": selected,
        "meeting_results": results_for(search, ids[:MEETING_RESULTS_SHOWN], now),
        "search_form": search.filterset.form,
        "meeting_place": search.place,
    }


def _lookup_context(request, lookup_form: PatientLookupForm) -> dict:
    """Earlier contacts of the typed patient in the chosen unit, logged as a patient look-up."""
    if not lookup_form.is_valid():
        return {"lookup_error": lookup_form.errors.get("patient_reference") or lookup_form.errors.get("unit")}
    unit = lookup_form.cleaned_data["unit"]
    pseudonym = lookup_form.pseudonym
    found = earlier_contacts(unit=unit, pseudonym=pseudonym)
    if found:
        audit.log_shown(user=request.user, action=audit.Action.LOOKUP, contacts=found, request=request)
    else:
        audit.log_access(
            user=request.user,
            action=audit.Action.LOOKUP,
            request=request,
            unit=unit,
            pseudonym=pseudonym,
            detail="no earlier contacts",
        )
    return {
        "lookup_done": True,
        "lookup_contacts": found,
        "lookup_fingerprint": pseudonym[:8].upper(),
        "lookup_unit": unit,
    }


@patient_data_required
@require_http_methods(["GET", "POST"])
def contact_create(request):
    units = _recording_units(request)
    default_unit = _default_unit(request, units)
    if default_unit is None:
        raise PermissionDenied
    context: dict = {}
    colleagues = _colleagues(request.user)
    if request.method == "POST":
        action = request.POST.get("action", "save")
        form = ContactForm(request.POST, units=units, colleagues=colleagues)
        if action == "save" and form.is_valid():
            unit = form.cleaned_data["unit"]
            try:
                contact, created = services.contact_create(
                    unit=unit,
                    data={**form.to_service_data(), "clinician": form.cleaned_data.get("clinician") or request.user},
                    actor=request.user,
                    submission_token=form.cleaned_data["submission_token"],
                    request=request,
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                request.session[SESSION_UNIT] = unit.pk
                if created:
                    messages.success(request, _("The contact is saved."))
                else:
                    messages.info(request, _("This form was already sent; the contact was saved once."))
                return redirect("referrals:contact_detail", contact.pk)
        elif action != "save":
            form.suppress_errors()
        if action == "lookup":
            context.update(_lookup_context(request, PatientLookupForm(request.POST, units=units)))
        unit = _posted_unit(request, units) or default_unit
    else:
        unit = default_unit
        initial = ContactForm.initial_for_new(unit=unit, today=_today())
        initial["submission_token"] = uuid.uuid4()
        form = ContactForm(initial=initial, units=units, colleagues=colleagues)
    context.update(_meeting_context(form, request.POST or None, unit))
    context.update({"form": form, "creating": True, "single_unit": len(units) == 1, "unit": unit})
    return render(request, "referrals/contact_form.html", context)


@patient_data_required
@require_http_methods(["GET", "POST"])
@shows_contact("edit form")
def contact_edit(request, contact: PatientContact):
    units = _recording_units(request)
    context: dict = {"contact": contact, "creating": False, "unit": contact.unit}
    if request.method == "POST":
        action = request.POST.get("action", "save")
        form = ContactForm(request.POST, units=units, contact=contact)
        if action == "lookup":
            # Without JavaScript "Check patient" posts the whole form; the unit is the contact's.
            lookup_data = {"unit": contact.unit_id, "patient_reference": request.POST.get("patient_reference", "")}
            context.update(_lookup_context(request, PatientLookupForm(lookup_data, units=units)))
        if action != "save":
            form.suppress_errors()
        elif form.is_valid():
            try:
                services.contact_update(
                    contact=contact,
                    data=form.to_service_data(),
                    actor=request.user,
                    expected_version=form.cleaned_data["version"],
                    request=request,
                )
            except ContactConflict as conflict:
                current = conflict.current
                comparison = contact_comparison(current, form.cleaned_data)
                data = _edit_conflict(request, context, current, comparison, contact=current, detail="")
                form = ContactForm(data, units=units, contact=current)
                form.suppress_errors()
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("The changes are saved."))
                return redirect("referrals:contact_detail", contact.pk)
    else:
        form = ContactForm(initial=ContactForm.initial_for_edit(contact), units=units, contact=contact)
    context.update(_meeting_context(form, request.POST or None, contact.unit))
    context["form"] = form
    return render(request, "referrals/contact_form.html", context)


@patient_data_required
@require_POST
def patient_lookup_partial(request):
    """HTMX: the fingerprint and earlier contacts for the reference typed in the contact form."""
    context = _lookup_context(request, PatientLookupForm(request.POST, units=_recording_units(request)))
    return render(request, "referrals/_patient_lookup.html", context)


@patient_data_required
@require_http_methods(["GET", "POST"])
def find_patient(request):
    """A page to find a patient's contacts by typing their reference (POST, so it never lands in a URL)."""
    units = _recording_units(request)
    context: dict = {}
    if request.method == "POST":
        form = PatientLookupForm(request.POST, units=units)
        context.update(_lookup_context(request, form))
        context.pop("lookup_error", None)  # shown beside the field instead
    else:
        form = PatientLookupForm(units=units, initial={"unit": _default_unit(request, units)})
    context["form"] = form
    return render(request, "referrals/find_patient.html", context)


@patient_data_required
@require_GET
def meeting_search_partial(request):
    """HTMX: the meeting choices (ticked ones first) for the search fields in the contact form."""
    form = ContactForm(request.GET, units=_recording_units(request))
    return render(request, "referrals/_meeting_choices.html", _meeting_context(form, request.GET, None))


@patient_data_required
@require_GET
@shows_contact()
def contact_detail(request, contact: PatientContact):
    follow_ups = list(contact.follow_ups.select_related("clinician"))
    meetings = list(contact.suggested_meetings.select_related("group__fellowship", "municipality"))
    others = earlier_contacts(unit=contact.unit, pseudonym=contact.patient_pseudonym, exclude_pk=contact.pk)
    if others:
        audit.log_shown(
            user=request.user,
            action=audit.Action.LIST,
            contacts=others,
            request=request,
            detail=f"same patient as #{contact.pk}",
        )
    return render(
        request,
        "referrals/contact_detail.html",
        {
            "contact": contact,
            "fellowships": list(contact.fellowships.all()),
            "reason_labels": [dict(Reason.choices).get(code, code) for code in contact.reasons or []],
            "meetings": meetings,
            "follow_ups": follow_ups,
            "other_contacts": others,
            # The worklist's rule (PatientContactQuerySet.follow_up_due), asked of this one contact.
            "follow_up_due": PatientContact.objects.filter(pk=contact.pk).follow_up_due(_today()).exists(),
        },
    )


@patient_data_required
@require_http_methods(["GET", "POST"])
@shows_contact("delete form")
def contact_delete(request, contact: PatientContact):
    if request.method == "POST":
        form = DeleteContactForm(request.POST)
        if form.is_valid():
            try:
                services.contact_soft_delete(
                    contact=contact, actor=request.user, reason=form.cleaned_data["reason"], request=request
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("The contact is deleted."))
                return redirect("referrals:contact_list")
    else:
        form = DeleteContactForm()
    return render(request, "referrals/contact_delete.html", {"contact": contact, "form": form})


@patient_data_required
@require_http_methods(["GET", "POST"])
@shows_contact("follow-up form")
def follow_up_create_view(request, contact: PatientContact):
    if request.method == "POST":
        form = FollowUpForm(request.POST)
        if form.is_valid():
            try:
                _follow_up, created = services.follow_up_create(
                    contact=contact,
                    data=form.to_service_data(),
                    actor=request.user,
                    submission_token=form.cleaned_data["submission_token"],
                    request=request,
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                if created:
                    messages.success(request, _("The follow-up is saved."))
                else:
                    messages.info(request, _("This form was already sent; the follow-up was saved once."))
                return redirect("referrals:contact_detail", contact.pk)
    else:
        form = FollowUpForm(initial={"followed_up_on": _today(), "submission_token": uuid.uuid4()})
    return render(request, "referrals/follow_up_form.html", {"contact": contact, "form": form, "creating": True})


@patient_data_required
@require_http_methods(["GET", "POST"])
@shows_contact("follow-up #{follow_up_pk} form")
def follow_up_edit(request, contact: PatientContact, follow_up_pk: int):
    follow_up = get_follow_up_for_user(request.user, contact, follow_up_pk)
    context: dict = {"contact": contact, "creating": False, "follow_up": follow_up}
    if request.method == "POST":
        form = FollowUpForm(request.POST, creating=False)
        if form.is_valid():
            try:
                services.follow_up_update(
                    follow_up=follow_up,
                    data=form.to_service_data(),
                    actor=request.user,
                    expected_version=form.cleaned_data["version"],
                    request=request,
                )
            except FollowUpConflict as conflict:
                current = conflict.current
                comparison = follow_up_comparison(current, form.cleaned_data)
                data = _edit_conflict(
                    request, context, current, comparison, contact=contact, detail=f"follow-up #{current.pk}"
                )
                form = FollowUpForm(data, creating=False)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("The follow-up is saved."))
                return redirect("referrals:contact_detail", contact.pk)
    else:
        form = FollowUpForm(initial=FollowUpForm.initial_for_edit(follow_up), creating=False)
    context["form"] = form
    return render(request, "referrals/follow_up_form.html", context)


@patient_data_required
@require_GET
def contact_list(request):
    unit_ids = patient_unit_ids(request.user)
    today = _today()
    parts = {
        "page": "contacts",
        "query": sorted(request.GET.lists()),
        "units": sorted(unit_ids),
        # The ids from the units this request has loaded; the units themselves are read only to render.
        "recording": recording_unit_ids(request.user),
        "language": get_language(),
        "today": today,
    }
    body, rows = list_cache.get_or_render(
        parts, lambda: _contact_list_body(request, unit_ids, _recording_units(request), today)
    )
    audit.log_shown(user=request.user, action=audit.Action.LIST, contacts=rows, request=request, detail="contact list")
    context = {"list_body": mark_safe(body), "can_import": leads_any_unit(request.user)}  # noqa: S308 - our own render
    return render(request, "referrals/contact_list.html", context)


def _contact_list_body(request, unit_ids: list[int], recording, today) -> tuple[str, list]:
    """The filter form, the page of contacts and the pagination, and the rows the page shows."""
    form = ContactFilterForm(request.GET or None, units=recording, clinicians=clinicians_of(unit_ids))
    values = form.valid_values() if form.is_bound else {}
    if values.get("unit") is not None:
        unit_ids = [values["unit"].pk]
    contacts = filter_contacts(
        PatientContact.objects.current(),
        month=values.get("month"),
        clinician=values.get("clinician"),
        intensity=values.get("intensity") or "",
        follow_up_due_on=today if values.get("due") else None,
    )
    page = contact_page(
        contacts,
        unit_ids=unit_ids,
        order=("-contacted_at", "-pk"),
        number=values.get("page") or 1,
        per_page=LIST_PAGE_SIZE,
    )
    context = {"form": form, "page": page, "today": today, "several_units": len(recording) > 1}
    body = render_to_string("referrals/_contact_list_body.html", context, request=request)
    return body, list_cache.shown(page.items)


@patient_data_required
@require_GET
def worklist(request):
    mine = request.GET.get("mine") == "1"
    try:
        number = max(1, min(int(request.GET.get("page", "1")), 100_000))
    except ValueError:
        number = 1
    unit_ids = patient_unit_ids(request.user)
    today = _today()
    parts = {
        "page": "worklist",
        "clinician": request.user.pk if mine else None,
        "number": number,
        "units": sorted(unit_ids),
        "language": get_language(),
        "today": today,
    }
    body, rows = list_cache.get_or_render(parts, lambda: _worklist_body(request, unit_ids, today, number, mine))
    audit.log_shown(user=request.user, action=audit.Action.LIST, contacts=rows, request=request, detail="worklist")
    return render(request, "referrals/worklist.html", {"list_body": mark_safe(body)})  # noqa: S308 - our own render


def _worklist_body(request, unit_ids: list[int], today, number: int, mine: bool) -> tuple[str, list]:
    contacts = PatientContact.objects.follow_up_due(today)
    if mine:
        contacts = contacts.filter(clinician=request.user)
    page = contact_page(
        contacts, unit_ids=unit_ids, order=("follow_up_planned_on", "pk"), number=number, per_page=WORKLIST_PAGE_SIZE
    )
    for contact in page.items:
        contact.days_overdue = (today - contact.follow_up_planned_on).days
    several_units = len({contact.unit_id for contact in page.items}) > 1
    context = {"page": page, "mine": mine, "today": today, "several_units": several_units}
    body = render_to_string("referrals/_worklist_body.html", context, request=request)
    return body, list_cache.shown(page.items)
