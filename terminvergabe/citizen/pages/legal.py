"""Imprint, privacy and accessibility statements of a municipality: `/k/<slug>/impressum`
etc., and the unprefixed `/impressum` etc. for the municipality of the request's host (or the
only one).

The operator data comes from the municipality (Municipality.operator_* and the people and
bodies the pages name); where it has none, from the TERMINVERGABE_OPERATOR_* settings, and
without those, from its first office, so that an installation set up before municipalities
had operator data keeps its pages."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, g, render_template

from terminvergabe import config as config_module
from terminvergabe.booking import municipalities
from terminvergabe.booking.models import Municipality, Office
from terminvergabe.citizen.pages.blueprint import bp, municipality_or_404
from terminvergabe.db import db


def _operator(municipality: Municipality | None) -> dict:
    """Who runs the site, for imprint, privacy and accessibility pages."""
    query = sa.select(Office).order_by(Office.id).limit(1)
    if municipality is not None:
        query = query.where(Office.municipality_id == municipality.id)
    office = db.session.scalar(query)
    config = current_app.config
    own = municipality or Municipality()

    def pick(field: str, fallback: str = "") -> str:
        return (
            getattr(own, f"operator_{field}", None)
            or config.get(f"OPERATOR_{field.upper()}")
            or (getattr(office, field, "") if office is not None else "")
            or fallback
        )

    return {
        "name": pick("name", municipality.name if municipality is not None else ""),
        "address": pick("address"),
        "email": pick("email"),
        "phone": pick("phone"),
        "representative": own.representative or "",
        "privacy_officer": own.privacy_officer or "",
        "supervisory_authority": own.supervisory_authority or "",
        "accessibility_contact": own.accessibility_contact or "",
    }


def _municipality(slug: str | None) -> Municipality | None:
    if slug is None:
        found = municipalities.request_municipality()
        if found is not None:
            g.municipality = found
        return found
    return municipality_or_404(slug)


@bp.get("/barrierefreiheit", defaults={"slug": None})
@bp.get("/k/<slug>/barrierefreiheit")
def accessibility(slug: str | None):
    return render_template(
        "pages/accessibility.html",
        operator=_operator(_municipality(slug)),
        statement_date=config_module.accessibility_statement_date(current_app.config),
    )


@bp.get("/impressum", defaults={"slug": None})
@bp.get("/k/<slug>/impressum")
def imprint(slug: str | None):
    return render_template("pages/imprint.html", operator=_operator(_municipality(slug)))


@bp.get("/datenschutz", defaults={"slug": None})
@bp.get("/k/<slug>/datenschutz")
def privacy(slug: str | None):
    return render_template(
        "pages/privacy.html",
        operator=_operator(_municipality(slug)),
        retention_days=current_app.config.get("RETENTION_DAYS", 30),
    )
