"""Report pages, exports and targets. Aggregates only: no view here shows a patient row."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import access as account_access
from accounts.access import role_required
from accounts.models import Unit
from core.periods import current_month, format_month, previous_month
from core.snapshots import snapshot
from referrals.audit import Action, log_access, log_many
from reports import access, disclosure, exports, report_cache, services
from reports.feedback import build_feedback
from reports.forms import ComparisonForm, ReportForm, TargetForm
from reports.models import IndicatorCode, Target
from reports.rendering import comparison_context, unit_context
from reports.selectors import SPANS, build_comparison, build_unit_report
from reports.targets import ancestor_paths

reports_required = access.reports_required
comparison_required = role_required(access.can_compare_units)
targets_required = role_required(access.can_manage_targets)


def _month_not_in_future(form) -> bool:
    month = form.cleaned_data["month"]
    if month > current_month():
        form.add_error(
            "month",
            _("That month has not started yet. Choose %(month)s or earlier.")
            % {"month": format_month(current_month())},
        )
        return False
    return True


def _unit_report_form(request):
    """(form, unit, valid) from the query string; unit is None when the user has no unit to report on."""
    viewer = access.viewer_for(request)
    code = request.GET.get("unit")
    unit = viewer.unit(code) if code else viewer.default_unit()
    if unit is None:
        return ReportForm(units=[]), None, False
    data = {
        "unit": unit.code,
        "month": format_month(previous_month()),
        "indicator": IndicatorCode.REFERRAL_RATE,
        "span": str(SPANS[0]),
        **{key: value for key, value in request.GET.items() if key in {"month", "indicator", "span"}},
    }
    form = ReportForm(data, units=viewer.units)
    return form, unit, form.is_valid() and _month_not_in_future(form)


def _unit_report_request(request):
    """(form, unit, published report) for an export; the report is None when the form has errors.

    Exports leave the unit: they are always protected and never carry the per-clinician breakdown. A reader
    who does not lead the unit gets a file that also hides what their own contacts would give back (rule 7 of
    reports.disclosure), as their page does; a lead's file is the same for every lead.
    """
    form, unit, valid = _unit_report_form(request)
    if unit is None or not valid:
        return form, unit, None
    leads = access.viewer_for(request).leads(unit)
    with snapshot():
        report = build_unit_report(
            unit=unit,
            month=form.cleaned_data["month"],
            indicator_code=form.cleaned_data["indicator"],
            span=form.cleaned_data["span"],
            reader=None if leads else request.user,
        )
    return form, unit, disclosure.publish_unit_report(report, protected=True)


def _page_context(request, form, unit) -> dict:
    viewer = access.viewer_for(request)
    return {
        "form": form,
        "unit": unit,
        "can_compare": viewer.can_compare_units,
        "can_see_own": account_access.can_see_patient_data(request.user),
        "can_manage_targets": viewer.can_manage_targets,
        "can_import_contacts": account_access.leads_any_unit(request.user),
    }


def _report_query(report, span: int) -> str:
    return urlencode(
        {
            "unit": report.unit.code,
            "month": format_month(report.month),
            "indicator": report.indicator.code,
            "span": span,
        }
    )


@reports_required
def report(request):
    form, unit, valid = _unit_report_form(request)
    context = _page_context(request, form, unit)
    if unit is None:
        return render(request, "reports/report.html", context)
    if not valid:
        return render(request, "reports/report.html", context, status=400)
    viewer = access.viewer_for(request)
    leads = viewer.leads(unit)
    month, indicator, span = form.cleaned_data["month"], form.cleaned_data["indicator"], form.cleaned_data["span"]

    def render_body() -> str:
        with snapshot():
            exact = build_unit_report(
                unit=unit,
                month=month,
                indicator_code=indicator,
                span=span,
                include_clinicians=leads,
                protected=not leads,
                reader=request.user,
            )
        report = disclosure.publish_unit_report(exact, protected=not leads, led_unit_ids=viewer.led_unit_ids)
        other_span = SPANS[1] if report.span == SPANS[0] else SPANS[0]
        body_context = unit_context(report)
        body_context.update(
            query=_report_query(report, report.span),
            other_span=other_span,
            other_span_query=_report_query(report, other_span),
            this_month=current_month(),
        )
        # The filter form goes with the body: its choices are the viewer's units, listed in `parts`.
        return render_to_string("reports/_filter_form.html", {"form": form}) + render_to_string(
            "reports/_report_body.html", body_context
        )

    # Everything the form and the body depend on (reports/report_cache.py); the user only through `lead`, the
    # units they may choose (a unit's name or place in the tree changing changes the reports generation), and,
    # on a protected body, the reader: their own contacts change what it hides (reports.disclosure, rule 7).
    parts = {
        "units": ",".join(str(choice.pk) for choice in access.viewer_for(request).units),
        "unit": unit.pk,
        "month": month.isoformat(),
        "indicator": indicator,
        "span": span,
        "lead": leads,
        # Units below that the reader leads change what a protected report hides (reports.disclosure, rule 6).
        "led": ",".join(str(pk) for pk in sorted(viewer.led_unit_ids)) if not leads else "",
        "reader": request.user.pk if not leads else "",
        "language": get_language(),
        "this_month": current_month().isoformat(),
    }
    context["report_body"] = mark_safe(report_cache.get_or_render(parts, render_body))  # noqa: S308 - our own render
    return render(request, "reports/report.html", context)


def _download(request, report, fmt: str, unit: Unit | None) -> HttpResponse:
    content = exports.render(report, fmt, request=request)
    log_access(
        user=request.user,
        action=Action.EXPORT,
        request=request,
        unit=unit,
        detail=f"Aggregate report {fmt}: {format_month(report.month)} {report.indicator.code}",
    )
    response = HttpResponse(content, content_type=exports.CONTENT_TYPES[fmt])
    disposition = "inline" if fmt == "html" else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{exports.filename(report, fmt)}"'
    return response


@reports_required
def report_export(request, fmt: str):
    form, unit, report = _unit_report_request(request)
    if report is None:
        return render(request, "reports/report.html", _page_context(request, form, unit), status=400 if unit else 404)
    return _download(request, report, fmt, unit)


def _comparison_request(request):
    scopes = Unit.objects.filter(children__isnull=False).distinct().order_by("path")
    data = {
        "scope": "",
        "month": format_month(previous_month()),
        "indicator": IndicatorCode.REFERRAL_RATE,
        **{key: value for key, value in request.GET.items() if key in {"scope", "month", "indicator"}},
    }
    form = ComparisonForm(data, scopes=scopes)
    if not (form.is_valid() and _month_not_in_future(form)):
        return form, None
    # Analysts and administrators read every unit; the choice field has already refused unknown codes.
    scope = Unit.objects.get(code=form.cleaned_data["scope"]) if form.cleaned_data["scope"] else None
    with snapshot():
        report = build_comparison(
            month=form.cleaned_data["month"],
            indicator_code=form.cleaned_data["indicator"],
            scope=scope,
            reader=request.user,
        )
    return form, disclosure.publish_comparison(report, protected=True)


@comparison_required
def compare(request):
    form, report = _comparison_request(request)
    if report is None:
        return render(request, "reports/compare.html", {"form": form}, status=400)
    context = {"form": form, **comparison_context(report), "query": request.GET.urlencode()}
    return render(request, "reports/compare.html", context)


@comparison_required
def compare_export(request, fmt: str):
    form, report = _comparison_request(request)
    if report is None:
        return render(request, "reports/compare.html", {"form": form}, status=400)
    return _download(request, report, fmt, report.scope)


# --- Each clinician's own feedback -----------------------------------------------------------------


@role_required(account_access.can_see_patient_data)
def feedback(request):
    """The clinician's own monthly referral rate beside the unit's and the target, and this month's open patients."""
    viewer = access.viewer_for(request)
    code = request.GET.get("unit")
    unit = viewer.unit(code) if code else viewer.default_unit()
    this_month = current_month()
    with snapshot():
        result = build_feedback(
            user=request.user,
            unit=unit,
            month=this_month,
            this_month=this_month,
            leads=viewer.leads(unit),
            units=account_access.patient_units(request.user),
        )
    if result.open_patients:
        log_many(
            user=request.user,
            action=Action.LIST,
            contacts=[patient.contact for patient in result.open_patients],
            request=request,
            detail="own feedback: patients without a referral this month",
        )
    context = {
        "feedback": result,
        "units": viewer.units,
        "this_month": this_month,
        "min_denominator": settings.REPORT_MIN_DENOMINATOR,
    }
    return render(request, "reports/feedback.html", context)


# --- Targets --------------------------------------------------------------------------------------


def _target_form_save(request, form, target=None):
    """Validate and save through the service; model validation errors land on the form."""
    if not form.is_valid():
        return None
    data = {name: form.cleaned_data[name] for name in TargetForm.Meta.fields}
    try:
        if target is None:
            return services.target_create(actor=request.user, **data)
        return services.target_update(actor=request.user, target=target, data=data)
    except ValidationError as error:
        form.add_service_errors(error)
    except PermissionDenied:
        form.add_error("unit", _("You can only set targets for units you lead."))
    return None


@targets_required
@require_http_methods(["GET", "POST"])
def targets(request):
    units = access.target_units(request.user)
    form = TargetForm(request.POST or None, units=units)
    if request.method == "POST":
        target = _target_form_save(request, form)
        if target is not None:
            messages.success(
                request,
                _("Target saved: %(target)s %% for %(unit)s.")
                % {"target": target.target_percent, "unit": target.unit.name},
            )
            return redirect("reports:targets")
    listed = list(Target.objects.for_list().filter(unit__in=units))
    # Targets set above the user's units apply to them too: shown, not editable here.
    led_paths = (
        [unit.path for unit in units.order_by("path")] if not account_access.is_administrator(request.user) else []
    )
    above = {path for led in led_paths for path in ancestor_paths(led)} - set(led_paths)
    inherited = Target.objects.for_list().filter(unit__path__in=above) if above else Target.objects.none()
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "targets": listed, "inherited": inherited}
    return render(request, "reports/targets.html", context, status=status)


@targets_required
@require_http_methods(["GET", "POST"])
def target_edit(request, pk: int):
    target = access.get_target_for_user(request.user, pk)
    units = access.target_units(request.user)
    form = TargetForm(request.POST or None, instance=target, units=units)
    if request.method == "POST":
        saved = _target_form_save(request, form, target=Target.objects.get(pk=target.pk))
        if saved is not None:
            messages.success(request, _("Target changed."))
            return redirect("reports:targets")
    status = 400 if request.method == "POST" else 200
    return render(request, "reports/target_form.html", {"form": form, "target": target}, status=status)


@targets_required
@require_POST
def target_delete(request, pk: int):
    target = access.get_target_for_user(request.user, pk)
    services.target_delete(actor=request.user, target=target)
    messages.success(request, _("Target deleted."))
    return redirect("reports:targets")
