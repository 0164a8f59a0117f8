"""Meeting import and CSV export in the admin: upload → preview (counts, first rows, every problem) → confirm.

The uploaded bytes are kept server-side in the shared cache under a random token that is also remembered in the
uploader's session, with their SHA-256; the confirm step applies exactly those bytes, never a second upload. They are
kept zlib-compressed (a 40 MB feed is some 4 MB), so that neither step holds the cache's pickled and base64-encoded
copies of the whole file beside the import's own (issue 15: a worker stays under 300 MB).
Only curators and administrators may import. MeetingAdmin wires these in with `get_urls` and `actions`.
"""

from __future__ import annotations

import hashlib
import secrets
import zlib
from collections.abc import Callable
from operator import attrgetter

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from core.roles import is_curator
from registry.csv_export import meeting_csv_rows, write_rows
from registry.importers import MAX_SOURCE_BYTES, SourceError, import_meetings
from registry.models import Fellowship, Meeting

TEMPLATE = "admin/registry/meeting/import.html"
PENDING_KEY_PREFIX = "registry:import:pending:"
SESSION_KEY = "registry_pending_imports"
PENDING_SECONDS = 60 * 60
MAX_PENDING_PER_SESSION = 5


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("A Meeting Guide JSON feed (.json) or a 12 Step Meeting List CSV (.csv), UTF-8."),
    )
    source_name = forms.CharField(
        label=_("Source name"),
        max_length=200,
        required=False,
        help_text=_("Ties the meetings to this source, for later imports. Default: the file name."),
    )
    fellowship = forms.ModelChoiceField(
        label=_("Fellowship"),
        queryset=Fellowship.objects.order_by("code"),
        to_field_name="code",
        help_text=_("For records that name no fellowship."),
    )
    deactivate_missing = forms.BooleanField(
        label=_("Mark meetings of this source that the file no longer lists as inactive"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fellowship"].label_from_instance = attrgetter("label")
        self.fields["fellowship"].initial = Fellowship.objects.filter(code="AA").first()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_SOURCE_BYTES:
            raise forms.ValidationError(
                gettext("The file is %(size)s bytes; the limit is %(limit)s.")
                % {"size": upload.size, "limit": MAX_SOURCE_BYTES}
            )
        return upload


def _require_curator(request: HttpRequest) -> None:
    if not is_curator(request.user):
        raise PermissionDenied


def _context(site, request, **extra) -> dict:
    return {
        **site.each_context(request),
        "opts": Meeting._meta,
        "title": gettext("Import meetings"),
        "changelist_url": reverse("admin:registry_meeting_changelist"),
        **extra,
    }


def _packed_upload(upload) -> dict:
    """The upload as the cache keeps it: zlib-compressed, with its size and SHA-256. Read before the check, so that
    the whole bytes are not held beside the import's own rows."""
    upload.seek(0)
    content = upload.read(MAX_SOURCE_BYTES + 1)
    upload.seek(0)
    return {
        "content_zlib": zlib.compress(content, 1),
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
    }


def _store_pending(request: HttpRequest, *, packed: dict, options: dict) -> tuple[str, str]:
    token = secrets.token_urlsafe(24)
    cache.set(
        PENDING_KEY_PREFIX + token,
        {**packed, "user_id": request.user.pk, **options},
        timeout=PENDING_SECONDS,
    )
    tokens = [*request.session.get(SESSION_KEY, []), token][-MAX_PENDING_PER_SESSION:]
    request.session[SESSION_KEY] = tokens
    return token, packed["sha256"]


def _take_pending(request: HttpRequest, token: str, digest: str) -> dict | None:
    """The stored upload (its bytes as "content") if this session made it, its hash matches and it has not expired."""
    if not token or token not in request.session.get(SESSION_KEY, []):
        return None
    pending = cache.get(PENDING_KEY_PREFIX + token)
    if not pending or pending.get("user_id") != request.user.pk or "content_zlib" not in pending:
        return None
    if not secrets.compare_digest(pending.get("sha256", ""), digest or ""):
        return None
    # Into a buffer of the right size: grown step by step, it would briefly take the file's size again.
    pending["content"] = zlib.decompress(pending.pop("content_zlib"), bufsize=pending["size"])
    if hashlib.sha256(pending["content"]).hexdigest() != pending["sha256"]:
        return None
    return pending


def _forget_pending(request: HttpRequest, token: str) -> None:
    cache.delete(PENDING_KEY_PREFIX + token)
    request.session[SESSION_KEY] = [t for t in request.session.get(SESSION_KEY, []) if t != token]


def _run_import(read_content: Callable[[], bytes], options: dict, *, dry_run: bool = False, actor=None):
    """import_meetings with the bytes handed over: read inside the call and passed by explicit keywords, so that no
    frame here keeps them while the import checks the records (it lets them go once decoded). Keywords unpacked
    from a dict (`**options`) would keep them in that dict until the import returns."""
    return import_meetings(
        content=read_content(),
        filename=options["filename"],
        source_name=options["source_name"],
        fellowship_code=options["fellowship_code"],
        deactivate_missing=options["deactivate_missing"],
        dry_run=dry_run,
        actor=actor,
    )


def import_view(request: HttpRequest, *, site) -> HttpResponse:
    """GET: the upload form. POST: validate the upload and show the preview, with a confirm button if valid."""
    _require_curator(request)
    if request.method != "POST":
        return TemplateResponse(request, TEMPLATE, _context(site, request, form=ImportForm()))
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return TemplateResponse(request, TEMPLATE, _context(site, request, form=form))
    upload = form.cleaned_data["file"]
    options = {
        "filename": upload.name[:200],
        "source_name": (form.cleaned_data["source_name"] or upload.name).strip()[:200],
        "fellowship_code": form.cleaned_data["fellowship"].code,
        "deactivate_missing": form.cleaned_data["deactivate_missing"],
    }
    packed = _packed_upload(upload)
    try:
        result = _run_import(lambda: upload.read(MAX_SOURCE_BYTES + 1), options, dry_run=True)
    except SourceError as error:
        form.add_error("file", str(error))
        return TemplateResponse(request, TEMPLATE, _context(site, request, form=form))
    context = _context(site, request, form=form, result=result, options=options)
    if result.ok:
        context["token"], context["sha256"] = _store_pending(request, packed=packed, options=options)
    return TemplateResponse(request, TEMPLATE, context)


def confirm_view(request: HttpRequest, *, site) -> HttpResponse:
    """Apply exactly the previewed upload."""
    _require_curator(request)
    token = request.POST.get("token", "")
    pending = _take_pending(request, token, request.POST.get("sha256", ""))
    if pending is None:
        messages.error(request, gettext("That import has expired or is not yours. Upload the file again."))
        return redirect("admin:registry_meeting_import")
    options = {key: pending[key] for key in ("filename", "source_name", "fellowship_code", "deactivate_missing")}
    try:
        result = _run_import(lambda: pending.pop("content"), options, actor=request.user)
    except SourceError as error:  # e.g. the fellowship was deleted since the preview
        _forget_pending(request, token)
        messages.error(request, str(error))
        return redirect("admin:registry_meeting_import")
    if not result.ok:
        # The registry changed since the preview in a way that makes the file invalid: show why, write nothing.
        _forget_pending(request, token)
        context = _context(site, request, form=ImportForm(), result=result, options=options)
        return TemplateResponse(request, TEMPLATE, context)
    _forget_pending(request, token)
    messages.success(
        request,
        gettext("Imported %(source)s: %(summary)s.") % {"source": options["source_name"], "summary": result.summary()},
    )
    return redirect("admin:registry_meeting_changelist")


def csv_response(queryset, *, filename_stem: str = "meetings") -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y-%m-%d")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename_stem}-{stamp}.csv"'
    response.write("\ufeff")  # so that Excel reads æøå as UTF-8
    write_rows(response, meeting_csv_rows(queryset))
    return response


@admin.action(description=_("Export selected meetings as CSV (12 Step Meeting List columns)"))
def export_meetings_csv(modeladmin, request, queryset):
    return csv_response(queryset)


def export_all_view(request: HttpRequest, *, site) -> HttpResponse:
    """Every meeting the changelist's filters select (same query string), as CSV."""
    _require_curator(request)
    model_admin = site.get_model_admin(Meeting)
    try:
        changelist = model_admin.get_changelist_instance(request)
    except IncorrectLookupParameters:
        return redirect("admin:registry_meeting_changelist")
    return csv_response(changelist.get_queryset(request))


def admin_urls(site) -> list:
    """URL patterns for MeetingAdmin.get_urls (names under the admin namespace)."""

    def wrap(view, *methods):
        def bound(request, *args, **kwargs):
            return view(request, *args, site=site, **kwargs)

        return site.admin_view(require_http_methods(list(methods))(bound))

    return [
        path("import/", wrap(import_view, "GET", "POST"), name="registry_meeting_import"),
        path("import/confirm/", wrap(confirm_view, "POST"), name="registry_meeting_import_confirm"),
        path("export.csv", wrap(export_all_view, "GET"), name="registry_meeting_export_csv"),
    ]
