"""Two-factor pages (enrol, verify, settings) and the patient access report."""

import csv
from urllib.parse import urlencode

from axes.helpers import get_lockout_response
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts.access import administrator_required
from core.spreadsheets import spreadsheet_safe
from privacy import selectors, services
from privacy.forms import EnrolmentCodeForm, OneTimeCodeForm, PatientReferenceForm
from privacy.qr import qr_svg, secret_for_manual_entry
from referrals.audit import Action, log_access
from referrals.pseudonyms import fingerprint


def _next_url(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("home")


def _with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


def _recovery_codes_page(request, codes: list[str], next_url: str) -> HttpResponse:
    # Rendered straight from the POST, never stored for later: the codes are shown this once.
    # never_cache on the views marks the response no-store.
    return render(request, "privacy/recovery_codes.html", {"codes": codes, "next": next_url})


@never_cache
@sensitive_post_parameters("code")
@login_required
def two_factor_setup(request):
    user = request.user
    next_url = _next_url(request)
    if services.has_second_factor(user) and not user.is_verified():
        # Someone holding only the password must not replace the second factor.
        return redirect(_with_next("privacy:two_factor_verify", next_url))
    device = services.authenticator_for_enrolment(user=user)
    form = EnrolmentCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = services.two_factor_enrol(user=user, device=device, code=form.cleaned_data["code"], request=request)
        if codes is not None:
            return _recovery_codes_page(request, codes, next_url)
        form.add_error(
            "code",
            _("That code did not match. Check that the clock on your phone is right and type the newest code."),
        )
    context = {
        "form": form,
        "next": next_url,
        "qr_code": qr_svg(device.config_url, title=_("QR code for your authenticator app")),
        "secret": secret_for_manual_entry(device.bin_key),
        "replacing": services.has_confirmed_authenticator(user),
        "required": services.two_factor_required(user),
    }
    return render(request, "privacy/setup.html", context)


def _locked_out(request, user) -> HttpResponse:
    credentials = {"username": user.get_username()}
    logout(request)
    return get_lockout_response(request, None, credentials)


@never_cache
@sensitive_post_parameters("code")
@login_required
def two_factor_verify(request):
    user = request.user
    next_url = _next_url(request)
    if user.is_verified():
        return redirect(next_url)
    if not services.has_second_factor(user):
        return redirect(_with_next("privacy:two_factor_setup", next_url))
    if services.second_factor_locked(request=request, user=user):
        return _locked_out(request, user)
    form = OneTimeCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = services.second_factor_verify(request=request, user=user, code=form.cleaned_data["code"])
        outcome = services.VerificationOutcome
        if result.outcome == outcome.VERIFIED:
            if result.recovery_code_used:
                remaining = services.recovery_codes_remaining(user)
                messages.warning(
                    request,
                    _(
                        "You logged in with a recovery code; it cannot be used again. %(count)s codes are left. "
                        "If your phone is lost, set up the authenticator app again under Two-factor settings."
                    )
                    % {"count": remaining},
                )
            return redirect(next_url)
        if result.outcome == outcome.LOCKED:
            return _locked_out(request, user)
        if result.outcome == outcome.WAIT:
            form.add_error(None, _("Several wrong codes in a row: wait a few seconds, then try the newest code."))
        else:
            form.add_error("code", _("That code is not right. Type the newest code from the app, or a recovery code."))
    return render(request, "privacy/verify.html", {"form": form, "next": next_url})


@never_cache
@login_required
def two_factor_settings(request):
    user = request.user
    authenticator = user.totpdevice_set.filter(confirmed=True).first()
    context = {
        "authenticator": authenticator,
        "recovery_codes_remaining": services.recovery_codes_remaining(user),
        "required": services.two_factor_required(user),
        "verified": user.is_verified(),
    }
    return render(request, "privacy/settings.html", context)


@never_cache
@require_POST
@login_required
def recovery_codes_regenerate(request):
    user = request.user
    if not (services.has_confirmed_authenticator(user) and user.is_verified()):
        messages.error(request, _("Log in with your second factor before you make new recovery codes."))
        return redirect("privacy:two_factor_settings")
    codes = services.recovery_codes_regenerate(user=user, request=request)
    return _recovery_codes_page(request, codes, reverse("privacy:two_factor_settings"))


# Patient access report ---------------------------------------------------------------------------------------

CSV_COLUMNS = ["time", "user_name", "full_name", "unit_code", "unit_name", "action", "action_label", "record", "detail"]


def _record(entry) -> str:
    if entry.contact_id:
        return _("Contact no. %(number)s") % {"number": entry.contact_id}
    if entry.contact_ids:
        # A list page: one entry names every contact it showed.
        count = len(entry.contact_ids)
        return ngettext("List of %(count)s contact", "List of %(count)s contacts", count) % {"count": count}
    return ""


def _entry_row(entry) -> list[str]:
    return [
        timezone.localtime(entry.at).isoformat(timespec="seconds"),
        entry.username,
        entry.user.get_full_name() if entry.user else "",
        entry.unit.code if entry.unit else "",
        entry.unit.name if entry.unit else "",
        entry.action,
        str(entry.get_action_display()),
        _record(entry),
        entry.detail,
    ]


def _patient_access_csv(entries, pseudonym: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="patient-access-{fingerprint(pseudonym)}-{stamp}.csv"'
    response.write("\ufeff")  # Excel reads UTF-8 only with a byte-order mark.
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        writer.writerow([spreadsheet_safe(value) for value in _entry_row(entry)])
    return response


@never_cache
@sensitive_post_parameters("reference")
@administrator_required
def patient_access_report(request):
    """Every access-log entry for one patient's records, for the patient's right of access.

    The reference comes only by POST, so it never appears in a URL, and only its keyed hash is used and logged.
    The look-up is itself logged (action LOOKUP with the pseudonym) before the log is read, so the report lists
    exactly the entries that carry this pseudonym at that moment: earlier look-ups and this one included.
    """
    form = PatientReferenceForm(request.POST or None)
    context = {"form": form}
    if request.method == "POST" and form.is_valid():
        as_csv = request.POST.get("format") == "csv"
        lookup = log_access(
            user=request.user,
            action=Action.LOOKUP,
            request=request,
            pseudonym=form.pseudonym,
            detail="Patient access report (CSV)" if as_csv else "Patient access report",
        )
        entries = list(selectors.patient_access_entries(pseudonym=form.pseudonym))
        if as_csv:
            return _patient_access_csv(entries, form.pseudonym)
        context.update(
            {
                "report": True,
                "entries": entries,
                "fingerprint": fingerprint(form.pseudonym),
                "lookup": lookup,
                "contact_count": selectors.patient_contact_count(pseudonym=form.pseudonym),
            }
        )
    return render(request, "privacy/patient_access.html", context)
