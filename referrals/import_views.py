"""Upload page for unit leads: the EHR extract import with a preview, then a confirm that applies exactly that file.

The uploaded bytes wait in the lead's session (compressed) between preview and confirm, with their SHA-256;
the confirm form carries the hash, so a second upload in another tab cannot be confirmed by an old preview.
Rows may only name units the lead leads. The preview reads and writes nothing patient-level beyond counts. The
confirm queues the file on the job worker (referrals.import_tasks); the page shows its progress, then the result. The
import logs one IMPORT entry per created or updated contact.
"""

from __future__ import annotations

import base64
import hashlib
import zlib

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRefresh

from accounts.access import leads_any_unit, led_units, role_required
from core.national_id import redact_national_ids
from referrals import import_tasks, importers
from referrals.audit import client_address

PENDING_KEY = "contact_import_pending"
# The token of the import queued on the worker (referrals.import_tasks).
TASK_KEY = "contact_import_task"


def is_unit_lead(user) -> bool:
    return leads_any_unit(user)


lead_required = role_required(is_unit_lead)


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file from the patient record system"),
        help_text=gettext_lazy("UTF-8, comma or semicolon separated, with a header row."),
        widget=forms.ClearableFileInput(attrs={"class": "ds-input", "accept": ".csv,text/csv"}),
    )

    def clean_file(self) -> bytes:
        uploaded = self.cleaned_data["file"]
        if uploaded.size > importers.max_bytes():
            raise forms.ValidationError(
                _("The file is too large. The limit is %(limit)s MB: split the extract into several files.")
                % {"limit": f"{importers.max_bytes() / 1024 / 1024:.0f}"}
            )
        # Shown on the page and kept in the session until confirmed: a file name can hold a national ID too.
        self.file_name = redact_national_ids(uploaded.name or "")[:100]
        return uploaded.read(importers.max_bytes() + 1)


def _store_pending(request, data: bytes, *, name: str, counts: dict) -> str:
    digest = hashlib.sha256(data).hexdigest()
    request.session[PENDING_KEY] = {
        "sha256": digest,
        "name": name,
        "counts": counts,
        "data": base64.b64encode(zlib.compress(data, 6)).decode("ascii"),
    }
    return digest


def _pending_data(request, expected_sha256: str) -> bytes | None:
    """The previewed file, if the confirm names the file that is waiting and it is intact."""
    pending = request.session.get(PENDING_KEY)
    if not pending or not expected_sha256 or pending.get("sha256") != expected_sha256:
        return None
    try:
        data = zlib.decompress(base64.b64decode(pending["data"]))
    except (KeyError, ValueError, zlib.error):
        return None
    return data if hashlib.sha256(data).hexdigest() == expected_sha256 else None


@never_cache
@lead_required
@require_http_methods(["GET", "POST"])
def contact_import(request):
    action = request.POST.get("action", "upload") if request.method == "POST" else ""
    context = {"columns": importers.COLUMNS, "units": led_units(request.user).order_by("path")}

    if action == "cancel":
        request.session.pop(PENDING_KEY, None)
        messages.info(request, _("The import was cancelled. Nothing was written."))
        return redirect("referrals:import")

    if action == "confirm":
        data = _pending_data(request, request.POST.get("sha256", ""))
        if data is None:
            messages.error(request, _("This preview is no longer waiting (it expired or another file was uploaded)."))
            return redirect("referrals:import")
        name = request.session.pop(PENDING_KEY)["name"]
        request.session[TASK_KEY] = import_tasks.start(
            data=data,
            user=request.user,
            sha256=request.POST["sha256"],
            name=name,
            client_address=client_address(request),
            language=get_language(),
        )
        return redirect("referrals:import")

    if action == "upload":
        form = UploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return render(request, "referrals/import.html", {**context, "form": form}, status=400)
        data = form.cleaned_data["file"]
        try:
            plan = importers.plan_import(data, allowed_units=led_units(request.user))
        except importers.ImportFileError as error:
            return render(request, "referrals/import.html", {**context, "form": UploadForm(), "file_error": error})
        context.update({"plan": plan, "file_name": form.file_name, "form": UploadForm()})
        if plan.is_valid:
            context["sha256"] = _store_pending(request, data, name=form.file_name, counts=plan.counts)
        else:
            request.session.pop(PENDING_KEY, None)
        return render(request, "referrals/import.html", context)

    if TASK_KEY in request.session:
        return _task_page(request, context)
    pending = request.session.get(PENDING_KEY)
    return render(request, "referrals/import.html", {**context, "form": UploadForm(), "pending": pending})


def _task_page(request, context):
    """The queued import: its progress (polled by the page), then its outcome once."""
    status = import_tasks.status(request.session[TASK_KEY])
    if status is not None and status["state"] in ("queued", "check", "write"):
        if request.htmx:
            return render(request, "referrals/_import_progress.html", {"progress": status})
        return render(request, "referrals/import.html", {**context, "form": UploadForm(), "progress": status})
    if request.htmx:
        return HttpResponseClientRefresh()  # the whole page shows the outcome
    del request.session[TASK_KEY]
    context["form"] = UploadForm()
    state = status["state"] if status else "failed"
    if state == "done":
        context["result"] = status["result"]
    elif state == "invalid":
        # The registry changed between preview and confirm (rare): show what is wrong now.
        errors = [importers.RowError(line, reasons) for line, reasons in status["errors"]]
        context.update(
            plan=importers.ImportPlan(sha256="", rows=status["rows"], errors=errors), file_name=status["name"]
        )
    elif state == "file_error":
        context["file_error"] = status["message"]
    else:
        messages.error(request, _("The import did not finish. Nothing was written: upload the file again."))
    return render(request, "referrals/import.html", context)
