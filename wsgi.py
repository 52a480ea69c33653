"""WSGI entry point: `gunicorn wsgi:app`."""

from terminvergabe import create_app

app = create_app()
