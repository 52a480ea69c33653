"""A municipality's header colour and logo, served to its pages.

The colour comes as a small stylesheet rather than a style attribute: the Content Security
Policy allows styles from the app's own files only. Both answers carry a version in their URL
(a hash of the content), so browsers may keep them for a day and still see a change at once."""

from __future__ import annotations

import hashlib

from flask import Response, abort, request, url_for

from terminvergabe.booking.models import Municipality
from terminvergabe.citizen.pages.blueprint import bp, municipality_or_404

CACHE_SECONDS = 24 * 3600

# An SVG opened on its own is a document: no scripts, nothing loaded from elsewhere, in a
# sandbox (the upload check already refuses SVGs with scripts; this holds if one slipped by).
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


def brand_css(municipality: Municipality) -> str:
    return f".site-header {{ background: {municipality.colour}; }}\n"


def _version(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()[:16]


def brand_css_url(municipality: Municipality) -> str:
    version = _version(brand_css(municipality).encode())
    return url_for("booking.brand_stylesheet", slug=municipality.slug, v=version)


def logo_url(municipality: Municipality) -> str | None:
    if not municipality.logo_version:
        return None
    return url_for("booking.logo", slug=municipality.slug, v=municipality.logo_version)


def _cached(body: bytes, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.set_etag(_version(body))
    response.cache_control.public = True
    response.cache_control.max_age = CACHE_SECONDS
    return response.make_conditional(request)


@bp.get("/k/<slug>/brand.css")
def brand_stylesheet(slug: str):
    municipality = municipality_or_404(slug)
    return _cached(brand_css(municipality).encode(), "text/css")


@bp.get("/k/<slug>/logo")
def logo(slug: str):
    municipality = municipality_or_404(slug)
    if not municipality.logo_version:
        abort(404)
    response = _cached(municipality.logo, municipality.logo_type)
    if municipality.logo_type == "image/svg+xml":
        response.headers["Content-Security-Policy"] = SVG_POLICY
    return response


@bp.app_context_processor
def _branding_helpers() -> dict:
    return {"brand_css_url": brand_css_url, "logo_url": logo_url}
