"""The one rate limiter of the app (Flask-Limiter).

Storage: in memory for the development server; set TERMINVERGABE_RATELIMIT_STORAGE_URI to
redis://127.0.0.1:6379 when several processes must share the counts.
"""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address)


def init_app(app) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)
