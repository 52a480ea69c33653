"""HTTP hardening in one place: the headers every response carries, no caching of personal data,
the trusted reverse proxies, and redirects that never leave the site.

Settings (defaults in config.py):
    FRAME_ANCESTORS     origins that may embed the pages in a frame (a portal), e.g.
                        ["https://portal.example.de"]; default none. A municipality's own
                        portals (Municipality.frame_ancestors) are added on its pages.
    TRUSTED_PROXY_HOPS  how many reverse proxies in front of the app set X-Forwarded-For and
                        X-Forwarded-Proto (Werkzeug's ProxyFix); 0 (default): the headers are
                        ignored, the client is the connection's peer
    HSTS_MAX_AGE        seconds browsers keep to HTTPS, sent when BASE_URL is https
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from flask import Flask, current_app, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

# Pages and answers that show nobody's personal data and may be cached. Every other endpoint
# (appointments by token, tickets, devices, every staff page, every page added later) is sent
# with Cache-Control: no-store.
PUBLIC_ENDPOINTS = frozenset(
    {
        "static",
        "booking.index",
        "booking.office",
        "booking.days",
        "booking.day",
        "booking.imprint",
        "booking.privacy",
        "booking.accessibility",
        "booking.brand_stylesheet",
        "booking.logo",
        "api.offices",
        "api.services",
        "api.days",
        "api.times",
        "api.openapi_document",
    }
)

# Only the statuses whose meaning includes "try again later" (RFC 9110: 503; RFC 6585: 429).
RETRY_AFTER_STATUSES = (429, 503)

# Scripts, styles, workers (ALTCHA), live updates, images and the gong: from the app only.
_CSP = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self'",
    "media-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
)


def content_security_policy(frame_ancestors: list[str]) -> str:
    ancestors = " ".join(frame_ancestors) if frame_ancestors else "'none'"
    return "; ".join((*_CSP, f"frame-ancestors {ancestors}"))


def frame_ancestors() -> list[str]:
    """Who may embed this response: the installation's portals, and on a municipality's pages
    (the view set `g.municipality`) that municipality's, validated when they were saved."""
    found = list(current_app.config["FRAME_ANCESTORS"])
    try:
        own = getattr(g.get("municipality"), "frame_ancestors", "") or ""
    except Exception:  # noqa: BLE001  (an expired row whose reload failed: the stricter policy)
        own = ""
    for origin in own.split():
        if origin not in found:
            found.append(origin)
    return found


def local_url(target: str | None) -> str | None:
    """`target` as a path on this site, or None: for redirects built from request data (a
    Referer, a `next` or `back` field). An absolute URL counts only when it names this site."""
    if not target or any(c.isspace() or c == "\\" or not c.isprintable() for c in target):
        return None  # browsers drop tabs and line breaks: "/\t/evil.example" is "//evil..."
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        if (parts.scheme, parts.netloc) != (request.scheme, request.host):
            return None
        target = urlunsplit(("", "", parts.path, parts.query, parts.fragment))
    if not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _add_headers(response):
    config = current_app.config
    headers = response.headers
    ancestors = frame_ancestors()
    headers.setdefault("Content-Security-Policy", content_security_policy(ancestors))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    if not ancestors:
        headers.setdefault("X-Frame-Options", "DENY")  # for browsers without frame-ancestors
    if str(config.get("BASE_URL") or "").startswith("https://"):
        headers.setdefault("Strict-Transport-Security", f"max-age={int(config['HSTS_MAX_AGE'])}")
    if request.endpoint not in PUBLIC_ENDPOINTS and "no-store" not in (
        headers.get("Cache-Control") or ""
    ):
        headers["Cache-Control"] = "no-store"
    if response.status_code not in RETRY_AFTER_STATUSES:
        headers.pop("Retry-After", None)  # Flask-Limiter adds it to every limited route
    return response


class _TrustedProxies:
    """Werkzeug's ProxyFix for TRUSTED_PROXY_HOPS proxies, read per request; none: the
    X-Forwarded-* headers are ignored (anyone can send them)."""

    def __init__(self, app: Flask):
        self.app = app
        self.wsgi_app = app.wsgi_app
        self._fixes: dict[int, ProxyFix] = {}

    def __call__(self, environ, start_response):
        hops = self.app.config["TRUSTED_PROXY_HOPS"]
        if not hops:
            return self.wsgi_app(environ, start_response)
        fix = self._fixes.get(hops)
        if fix is None:
            fix = self._fixes[hops] = ProxyFix(self.wsgi_app, x_for=hops, x_proto=hops)
        return fix(environ, start_response)


def init_app(app: Flask) -> None:
    """Registered before the rate limiter and the error handlers, so that it runs after their
    after_request hooks and sees the headers they add."""
    app.wsgi_app = _TrustedProxies(app)
    app.after_request(_add_headers)
