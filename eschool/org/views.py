"""Pages for administrators: import (upload → preview → commit), templates and exports."""

import datetime as dt
from functools import wraps
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from eschool.accounts.models import Role
from eschool.core import timeutil
from eschool.org import selectors, services
from eschool.org.importing.export import (
    FILE_NAMES,
    TEMPLATE_NAMES,
    TEMPLATES,
    content_disposition,
    write_csv,
    write_xlsx,
)
from eschool.org.importing.framework import FILE_KIND_NAMES, RECORD_KIND_NAMES, count_summary
from eschool.org.importing.reader import SUPPORTED_SUFFIXES

SESSION_KEY = "org_imports"
# Uploads this login session has imported (token -> file name and time), so that
# Back and 导入 again says so instead of a 404. The latest few are enough.
DONE_KEY = "org_imports_done"
DONE_KEPT = 20
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def manager_required(view):
    """Logged in, and a district or school administrator; anyone else gets 403."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not selectors.can_manage_people(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet file (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in SUPPORTED_SUFFIXES:
            raise forms.ValidationError(_("Only .xlsx and .csv files can be imported."))
        limit = settings.ESCHOOL_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is larger than %(limit)s MB; split it into smaller files.")
                % {"limit": round(limit / (1024 * 1024), 1)}
            )
        return upload


def _kind_links(user):
    return [(kind, FILE_KIND_NAMES[kind]) for kind in selectors.import_kinds_for(user=user)]


@manager_required
@require_http_methods(["GET", "POST"])
def import_upload(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        suffix = Path(upload.name).suffix.lower()
        token = services.import_upload_store(upload=upload, suffix=suffix)
        uploads = request.session.get(SESSION_KEY, {})
        uploads[token] = upload.name[:200]
        request.session[SESSION_KEY] = uploads
        return redirect("org:import_preview", token=token)
    return render(
        request,
        "org/import_upload.html",
        {
            "form": form,
            "import_kinds": _kind_links(request.user),
            "export_kinds": [
                (k, FILE_KIND_NAMES[k]) for k in selectors.export_kinds_for(user=request.user)
            ],
        },
    )


def _upload_of(request, token):
    """The stored file and name of an upload made in this login session, or None."""
    name = request.session.get(SESSION_KEY, {}).get(token)
    path = services.import_upload_path(token=token) if name else None
    return (path, name) if path is not None else None


def _upload_gone(request, token):
    """The page for an upload with nothing left to import; nothing is imported.

    Imported already by this login (409), waited past its lifetime (410), or
    unknown to this login, e.g. someone else's (404, telling nothing about it).
    """
    done = request.session.get(DONE_KEY, {}).get(token)
    name = request.session.get(SESSION_KEY, {}).get(token)
    if done:
        at = timeutil.local(dt.datetime.fromisoformat(done["at"])).strftime("%Y-%m-%d %H:%M")
        heading = _("This file has already been imported")
        message = _(
            "%(name)s was imported at %(time)s. It has not been imported a second time."
        ) % {"name": done["name"], "time": at}
        status = 409
    elif name:
        heading = _("This preview has expired")
        message = _(
            "The upload of %(name)s waited more than a day and was removed; nothing was "
            "imported from it. Upload the file again."
        ) % {"name": name}
        status = 410
    else:
        heading = _("Nothing is waiting to be imported here")
        message = _(
            "This upload is not waiting to be imported: it was imported already, it expired, "
            "or it was made in another login. Nothing was imported."
        )
        status = 404
    return render(
        request, "org/import_gone.html", {"heading": heading, "message": message}, status=status
    )


def _count_rows(result):
    return [
        (RECORD_KIND_NAMES.get(kind, kind), states["new"], states["changed"], states["unchanged"])
        for kind, states in result.counts.items()
    ]


def _render_preview(request, token, name, result, status=200):
    return render(
        request,
        "org/import_preview.html",
        {
            "token": token,
            "file_name": name,
            "result": result,
            "kind_name": FILE_KIND_NAMES.get(result.kind, ""),
            "count_rows": _count_rows(result),
            "nothing_to_do": result.ok
            and not any(states["new"] or states["changed"] for states in result.counts.values()),
        },
        status=status,
    )


@manager_required
@require_GET
def import_preview(request, token):
    upload = _upload_of(request, token)
    if upload is None:
        return _upload_gone(request, token)
    path, name = upload
    result = services.people_import(source=path, filename=name, actor=request.user, commit=False)
    return _render_preview(request, token, name, result)


@manager_required
@require_POST
def import_commit(request, token):
    upload = _upload_of(request, token)
    if upload is None:
        return _upload_gone(request, token)
    path, name = upload
    result = services.people_import(source=path, filename=name, actor=request.user, commit=True)
    if not result.committed:
        return _render_preview(request, token, name, result, status=400)
    services.import_upload_discard(token=token)
    uploads = request.session.get(SESSION_KEY, {})
    uploads.pop(token, None)
    request.session[SESSION_KEY] = uploads
    done = request.session.get(DONE_KEY, {})
    done[token] = {"name": name, "at": timeutil.now().isoformat()}
    request.session[DONE_KEY] = dict(list(done.items())[-DONE_KEPT:])
    # Translated: Chinese joins the parts with a full-width semicolon.
    summary = _("; ").join(
        count_summary(record_kind, states) for record_kind, states in result.counts.items()
    )
    messages.success(
        request, _("Imported %(name)s. %(summary)s") % {"name": name, "summary": summary}
    )
    return redirect("org:import_upload")


@manager_required
@require_GET
def template_download(request, kind):
    if kind not in TEMPLATES:
        raise Http404
    headers, example = TEMPLATES[kind]
    response = HttpResponse(write_xlsx(headers, [example], title=kind), content_type=XLSX)
    response["Content-Disposition"] = content_disposition(
        f"{kind}-template.xlsx", f"{TEMPLATE_NAMES[kind]}.xlsx"
    )
    return response


@manager_required
@require_GET
def export(request, kind, fmt):
    if kind not in selectors.export_kinds_for(user=request.user) or fmt not in ("xlsx", "csv"):
        raise Http404
    headers, rows = selectors.export_rows(user=request.user, kind=kind)
    if fmt == "xlsx":
        response = HttpResponse(write_xlsx(headers, rows, title=kind), content_type=XLSX)
    else:
        response = HttpResponse(write_csv(headers, rows), content_type="text/csv; charset=utf-8")
    # Named by whose list and what day it is, so that downloads kept side by side (each
    # school's, each week's) do not overwrite one another as 学生名单(1).xlsx.
    day = timeutil.today().isoformat()
    school = request.user.school if request.user.role == Role.SCHOOL_ADMIN else None
    name = "-".join([FILE_NAMES[kind], *([school.name] if school else []), day])
    ascii_name = "-".join([kind, *([school.code] if school else []), day])
    response["Content-Disposition"] = content_disposition(f"{ascii_name}.{fmt}", f"{name}.{fmt}")
    return response


@manager_required
@require_GET
def exports(request):
    """The lists an administrator may download, and the import templates."""
    return render(
        request,
        "org/exports.html",
        {
            "import_kinds": _kind_links(request.user),
            "export_kinds": [
                (k, FILE_KIND_NAMES[k]) for k in selectors.export_kinds_for(user=request.user)
            ],
        },
    )
