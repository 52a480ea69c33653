"""Admin pages, one module per resource: parse -> operation -> render, one commit per request.

Office managers manage their own office, administrators every office. The shared form-page
helpers and the blueprint are in `common`.
"""

from terminvergabe.admin.views import (  # noqa: F401  (each module adds its routes)
    audit,
    calendar,
    counters,
    hours,
    office,
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
