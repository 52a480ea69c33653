"""Which municipality a request is for (terminvergabe/booking/municipalities.py)."""

from terminvergabe.booking import municipalities
from terminvergabe.db import db
from tests import factories


def _two(app_ctx):
    a = factories.create_municipality("aachtal", name="Stadt Aachtal", host="termine.aachtal.de")
    b = factories.create_municipality("bergdorf", name="Gemeinde Bergdorf")
    db.session.commit()
    return a, b


def test_on_a_municipalitys_host_only_it_is_shown(app_ctx):
    a, b = _two(app_ctx)
    with app_ctx.test_request_context("/", base_url="http://Termine.Aachtal.de:8443"):
        assert municipalities.host_municipality() is a
        assert municipalities.request_municipality() is a
        assert municipalities.shown_here(a.id) and not municipalities.shown_here(b.id)
        assert municipalities.by_slug_here("aachtal") is a
        assert municipalities.by_slug_here("bergdorf") is None


def test_on_another_host_every_municipality_is_reached_by_its_path(app_ctx):
    a, b = _two(app_ctx)
    with app_ctx.test_request_context("/", base_url="http://rechenzentrum.example"):
        assert municipalities.host_municipality() is None
        assert municipalities.request_municipality() is None  # several: none is meant
        assert municipalities.shown_here(a.id) and municipalities.shown_here(b.id)
        assert municipalities.by_slug_here("bergdorf") is b
        assert municipalities.by_slug_here("x" * 300) is None


def test_the_only_municipality_is_meant_everywhere(app_ctx):
    only = factories.create_municipality("einzig", name="Stadt Einzig")
    db.session.commit()
    with app_ctx.test_request_context("/", base_url="http://irgendwo.example"):
        assert municipalities.request_municipality() is only
    assert municipalities.request_municipality() is only  # outside a request too
    assert municipalities.shown_here(only.id)
