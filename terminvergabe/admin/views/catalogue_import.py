"""Importing a municipality's catalogue from a file (docs/catalogue.md), for its
administrators: the upload is checked first (a dry run with the full report), then imported
with one more click. The checked file travels with that second form, so what is imported is
exactly what was checked (and is checked again)."""

from __future__ import annotations

import base64
import binascii

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from terminvergabe.admin.views.common import bp
from terminvergabe.auth.access import administers, current_staff, role_required
from terminvergabe.booking import catalogue_import
from terminvergabe.booking.models import Municipality, Role
from terminvergabe.db import db

# The checked file goes back to the browser base64-encoded (a third larger) and must fit into
# one request again.
MAX_UPLOAD = 512 * 1024


def _municipality(municipality_id: int) -> Municipality:
    municipality = db.session.get(Municipality, municipality_id)
    if municipality is None or not administers(current_staff(), municipality_id):
        abort(404)
    return municipality


@bp.route("/m/<int:municipality_id>/catalogue/import", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def catalogue_import_page(municipality_id):
    municipality = _municipality(municipality_id)
    if request.method == "GET":
        return _page(municipality)
    deactivate = request.form.get("deactivate_missing") == "1"
    if request.form.get("action") == "import":
        return _import(municipality, deactivate)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _page(municipality, problem=_("Please choose a file."), status=422)
    try:
        data = upload.read(MAX_UPLOAD + 1)
    finally:  # big uploads are spooled to a temporary file: close it at once
        upload.close()
    if len(data) > MAX_UPLOAD:
        problem = _("The file is larger than %(kb)d KB.", kb=MAX_UPLOAD // 1024)
        return _page(municipality, problem=problem, status=422)
    report = catalogue_import.import_catalogue(
        municipality, data, upload.filename, dry_run=True, deactivate_missing=deactivate
    )
    db.session.rollback()
    return _page(
        municipality,
        report=report,
        filename=upload.filename,
        content=base64.b64encode(data).decode(),
        deactivate=deactivate,
        status=422 if report.errors else 200,
    )


def _import(municipality: Municipality, deactivate: bool):
    filename = request.form.get("filename", "")[:200]
    try:
        data = base64.b64decode(request.form.get("content", ""), validate=True)
    except (binascii.Error, ValueError):
        data = b""
    if not data or len(data) > MAX_UPLOAD:
        return _page(municipality, problem=_("Please choose a file."), status=422)
    report = catalogue_import.import_catalogue(
        municipality, data, filename, actor=current_staff(), deactivate_missing=deactivate
    )
    if report.errors:  # the catalogue changed since the check, or the form was altered
        db.session.rollback()
        return _page(municipality, report=report, filename=filename, status=422)
    db.session.commit()
    flash(
        ngettext(
            "Catalogue imported: %(count)d change.",
            "Catalogue imported: %(count)d changes.",
            report.changes,
            count=report.changes,
        )
    )
    return redirect(url_for("admin.catalogue_import_page", municipality_id=municipality.id))


def _page(municipality: Municipality, status: int = 200, **context):
    page = render_template(
        "admin/catalogue_import.html",
        municipality=municipality,
        max_kb=MAX_UPLOAD // 1024,
        **context,
    )
    return page, status
