"""Admin pages, one module per resource: parse -> operation -> render, one commit per request.

Office managers manage their own office; a municipality's administrators every office of it,
its catalogue and its staff (under /admin/m/<municipality id>/). The shared form-page helpers
and the blueprint are in `common`.
"""

from terminvergabe.admin.views import (  # noqa: F401  (each module adds its routes)
    audit,
    calendar,
    catalogue,
    catalogue_import,
    city_statistics,
    counters,
    hours,
    members,
    municipality,
    office,
    offices,
    privacy,
    queue,
    services,
    shifts,
    staff,
    statistics,
    webhooks,
)
from terminvergabe.admin.views.common import bp

__all__ = ["bp"]
