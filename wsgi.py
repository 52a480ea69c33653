"""WSGI entry point: `gunicorn wsgi:app`."""

import sys

from terminvergabe import create_app
from terminvergabe.config import ConfigurationError

try:
    app = create_app()
except ConfigurationError as error:
    print(error.code, file=sys.stderr)
    # 4: gunicorn's "application failed to load": the master stops instead of starting the
    # worker again and again.
    raise SystemExit(4) from None
