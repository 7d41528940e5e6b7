"""Bulk import of staff: upload → preview (every row's status) → confirm.

The parsed rows stay on the server, in the session, under a random id (not in hidden form
fields a browser could change), together with the firm and a SHA-256 of the file: the confirm
form sends that digest back, so a preview can only ever confirm the file it showed. The rows are
checked again on every preview and on confirm, since people may have joined or been invited in
between. Nothing is imported while a row has an error unless the manager ticks "import only the
valid rows".
"""

from __future__ import annotations

import hashlib
import secrets

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from lms.accounts.models import Firm
from lms.accounts.request_types import ManagerHttpRequest

from .access import manager_required
from .forms import ConfirmImportForm, ImportUploadForm
from .importing import (
    ImportBlocked,
    ImportFileError,
    Row,
    Table,
    check_rows,
    error_report,
    read_upload,
    run_import,
    summarise,
)

SESSION_KEY = "staff_imports"
KEEP_PREVIEWS = 3  # a manager may have a few tabs open; older previews are dropped


def _store(request: HttpRequest, firm: Firm, table: Table, digest: str, filename: str) -> str:
    previews = request.session.get(SESSION_KEY, {})
    if len(previews) >= KEEP_PREVIEWS:
        oldest = sorted(previews, key=lambda key: previews[key]["created"])
        for key in oldest[: len(previews) - KEEP_PREVIEWS + 1]:
            del previews[key]
    import_id = secrets.token_urlsafe(12)
    previews[import_id] = {
        "firm": firm.pk,
        "digest": digest,
        "filename": filename,
        "created": timezone.now().isoformat(),
        "table": table.to_json(),
    }
    request.session[SESSION_KEY] = previews
    return import_id


def _load(request: ManagerHttpRequest, import_id: str) -> dict:
    """The stored preview, if it belongs to this manager's firm; a 404 otherwise."""
    stored = request.session.get(SESSION_KEY, {}).get(import_id)
    if stored is None or stored["firm"] != request.firm.pk:
        raise Http404("No such import.")
    return stored


def _forget(request: HttpRequest, import_id: str) -> None:
    previews = request.session.get(SESSION_KEY, {})
    previews.pop(import_id, None)
    request.session[SESSION_KEY] = previews


@manager_required
@require_http_methods(["GET", "POST"])
def upload(request: ManagerHttpRequest) -> HttpResponse:
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            table = read_upload(data, upload.name)
        except ImportFileError as error:
            form.add_error("file", str(error))
        else:
            digest = hashlib.sha256(data).hexdigest()
            import_id = _store(request, request.firm, table, digest, upload.name)
            return redirect("staff:import_preview", import_id=import_id)
    return render(
        request,
        "accounts/onboarding/import_upload.html",
        {"firm": request.firm, "form": form, "section": "import"},
    )


def _render_preview(
    request: ManagerHttpRequest,
    import_id: str,
    stored: dict,
    table: Table,
    rows: list[Row],
    form: ConfirmImportForm,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "accounts/onboarding/import_preview.html",
        {
            "firm": request.firm,
            "import_id": import_id,
            "filename": stored["filename"],
            "table": table,
            "rows": rows,
            "summary": summarise(rows),
            "form": form,
            "section": "import",
        },
        status=status,
    )


@manager_required
@require_http_methods(["GET", "POST"])
def preview(request: ManagerHttpRequest, import_id: str) -> HttpResponse:
    """GET: every row with its status. POST: confirm the import."""
    stored = _load(request, import_id)
    table = Table.from_json(stored["table"])
    if request.method == "GET":
        rows = check_rows(request.firm, table)
        form = ConfirmImportForm(initial={"digest": stored["digest"]})
        return _render_preview(request, import_id, stored, table, rows, form)

    form = ConfirmImportForm(request.POST)
    if not form.is_valid() or not secrets.compare_digest(
        form.cleaned_data["digest"], stored["digest"]
    ):
        messages.error(
            request, _("This preview does not match the uploaded file: upload the file again.")
        )
        return redirect("staff:import")
    try:
        result = run_import(
            request.firm, table, by=request.user, only_valid=form.cleaned_data["only_valid"]
        )
    except ImportBlocked as blocked:
        messages.error(
            request,
            _(
                "Nothing was imported: %(count)d row(s) have errors. Fix the file and upload it "
                "again, or choose to import only the valid rows."
            )
            % {"count": summarise(blocked.rows).errors},
        )
        form = ConfirmImportForm(initial={"digest": stored["digest"]})
        return _render_preview(request, import_id, stored, table, blocked.rows, form, status=400)
    _forget(request, import_id)
    messages.success(
        request,
        _(
            "Invitations sent: %(invited)d. Skipped: %(skipped)d. Not imported because of "
            "errors: %(errors)d."
        )
        % {
            "invited": len(result.invited),
            "skipped": result.skipped,
            "errors": result.not_imported,
        },
    )
    return redirect("staff:home")


@manager_required
@require_safe
def errors_csv(request: ManagerHttpRequest, import_id: str) -> HttpResponse:
    """The preview's errors as a CSV file the manager can fix the list from."""
    stored = _load(request, import_id)
    table = Table.from_json(stored["table"])
    report = error_report(check_rows(request.firm, table), table)
    response = HttpResponse(report, content_type="text/csv; charset=utf-8")
    stem = stored["filename"].rsplit(".", 1)[0] or "staff"
    response["Content-Disposition"] = content_disposition_header(True, f"{stem}-errors.csv")
    return response
