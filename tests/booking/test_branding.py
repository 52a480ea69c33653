"""The branding checks (terminvergabe/booking/branding.py): colour contrast, logo content,
host names and embedding origins."""

import io

import pytest
from PIL import Image

from terminvergabe.booking import branding


@pytest.fixture
def app_ctx(app_ctx):
    """The messages are checked by their English msgid: an English request."""
    with app_ctx.test_request_context("/?lang=en"):
        yield app_ctx


def _image(kind: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "#0b4f8a").save(out, kind)
    return out.getvalue()


SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
    b'<rect width="10" height="10" fill="#036"/></svg>'
)


def test_contrast_follows_wcag():
    assert branding.contrast_with_white("#000000") == pytest.approx(21.0)
    assert branding.contrast_with_white("#ffffff") == pytest.approx(1.0)
    # #767676 is the well-known lightest grey with 4.5:1 on white; #777777 falls short
    assert branding.contrast_with_white("#767676") >= 4.5 > branding.contrast_with_white("#777777")


@pytest.mark.parametrize("colour", ["#0B4F8A", " #767676 ", "#000000", "#8a1538"])
def test_dark_colours_are_kept_in_lower_case(app_ctx, colour):
    assert branding.header_colour(colour) == colour.strip().lower()


@pytest.mark.parametrize("colour", ["#777777", "#ffcc00", "#ffffff", "#4f9fe0"])
def test_light_colours_are_refused(app_ctx, colour):
    with pytest.raises(ValueError, match="4.5:1"):
        branding.header_colour(colour)


@pytest.mark.parametrize("colour", ["", "blue", "#12345", "#1234567", "#gg0000", "0b4f8a"])
def test_malformed_colours_are_refused(app_ctx, colour):
    with pytest.raises(ValueError, match="#rrggbb"):
        branding.header_colour(colour)


@pytest.mark.parametrize(
    ("kind", "expected"), [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")]
)
def test_raster_logos_are_known_by_their_bytes(app_ctx, kind, expected):
    assert branding.logo_type(_image(kind)) == expected


def test_a_plain_svg_is_accepted(app_ctx):
    assert branding.logo_type(SVG) == "image/svg+xml"
    assert branding.logo_type(b"\xef\xbb\xbf  " + SVG.split(b"\n", 1)[1]) == "image/svg+xml"


@pytest.mark.parametrize(
    "svg",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        b'<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:alert(1)"><rect/></a></svg>',
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink">'
        b'<image x:href="https://tracker.example/p.png"/></svg>',
        b'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><div/></foreignObject></svg>',
        b'<svg xmlns="http://www.w3.org/2000/svg">'
        b"<style>@import url(//x.example/a.css);</style></svg>",
    ],
)
def test_svgs_that_could_run_code_or_load_content_are_refused(app_ctx, svg):
    with pytest.raises(ValueError, match="scripts or external content"):
        branding.logo_type(svg)


def test_svg_with_entities_is_refused_unread(app_ctx):
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><svg xmlns="http://www.w3.org/2000/svg">&b;</svg>'
    )
    with pytest.raises(ValueError, match="could not be read"):
        branding.logo_type(bomb)


@pytest.mark.parametrize(
    "data",
    [b"GIF89a....", b"<html><svg></svg></html>", b"%PDF-1.7", b"MZ\x90\x00"],
)
def test_other_files_are_refused(app_ctx, data):
    with pytest.raises(ValueError, match="PNG, JPEG, WebP or SVG"):
        branding.logo_type(data)


def test_empty_and_oversized_logos_are_refused(app_ctx):
    with pytest.raises(ValueError, match="empty"):
        branding.logo_type(b"")
    with pytest.raises(ValueError, match="256 KB"):
        branding.logo_type(_image("PNG") + b"\0" * branding.LOGO_MAX_BYTES)


def test_host_names(app_ctx):
    assert branding.host_name("  Termine.Rheinstadt.DE. ") == "termine.rheinstadt.de"
    assert branding.host_name("") is None
    for bad in (
        "https://termine.example.de",
        "termine.example.de/x",
        "localhost",
        "a_b.de",
        "termine.example.de:8080",
        "-x.example.de",
    ):
        with pytest.raises(ValueError, match="host name"):
            branding.host_name(bad)


def test_frame_ancestors_are_https_origins(app_ctx):
    given = "https://Portal.Example.de  https://service.example.de:8443/ https://portal.example.de"
    assert branding.frame_ancestors(given) == (
        "https://portal.example.de https://service.example.de:8443"
    )
    assert branding.frame_ancestors("") == ""


@pytest.mark.parametrize(
    "origin",
    [
        "http://portal.example.de",
        "https://portal.example.de/embed",
        "https://*.example.de",
        "*",
        "'self'",
        "https://user@portal.example.de",
        "https://portal.example.de?x=1",
        "https://portal.example.de:99999",
        "https://portal.example.de;script-src",
        "data:",
    ],
)
def test_other_frame_ancestors_are_refused(app_ctx, origin):
    with pytest.raises(ValueError, match="https origin"):
        branding.frame_ancestors(f"https://ok.example.de {origin}")
