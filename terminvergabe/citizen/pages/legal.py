"""Imprint, privacy and accessibility statements."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, render_template

from terminvergabe import config as config_module
from terminvergabe.booking.models import Office
from terminvergabe.citizen.pages.blueprint import bp
from terminvergabe.db import db


def _operator() -> dict:
    """Who runs the site, for imprint, privacy and accessibility pages. Configured by
    TERMINVERGABE_OPERATOR_* settings; without them, the first office stands in."""
    office = db.session.scalar(sa.select(Office).order_by(Office.id))
    config = current_app.config
    return {
        "name": config.get("OPERATOR_NAME") or (office.name if office else ""),
        "address": config.get("OPERATOR_ADDRESS") or (office.address if office else ""),
        "email": config.get("OPERATOR_EMAIL") or (office.email if office else ""),
        "phone": config.get("OPERATOR_PHONE") or (office.phone if office else ""),
    }


@bp.get("/barrierefreiheit")
def accessibility():
    return render_template(
        "pages/accessibility.html",
        operator=_operator(),
        statement_date=config_module.accessibility_statement_date(current_app.config),
    )


@bp.get("/impressum")
def imprint():
    return render_template("pages/imprint.html", operator=_operator())


@bp.get("/datenschutz")
def privacy():
    return render_template(
        "pages/privacy.html",
        operator=_operator(),
        retention_days=current_app.config.get("RETENTION_DAYS", 30),
    )
