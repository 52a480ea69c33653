"""JSON API under /api/v1/ for city portals and apps. Calls the same operations as the pages."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
