"""What a municipality may brand its pages with, checked before it is saved: a header colour
that keeps white text readable, a logo that is really an image (and an SVG without scripts),
the host name its start page answers on, and the portals that may embed its pages.

Pure functions over plain values; each check raises ValueError with a translated message."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import defusedxml.ElementTree as safe_xml
from defusedxml import DefusedXmlException

from terminvergabe.i18n import _l

# WCAG 2.1 SC 1.4.3: normal text needs 4.5:1 against its background.
MIN_CONTRAST = 4.5
WHITE_LUMINANCE = 1.0

LOGO_MAX_BYTES = 256 * 1024

COLOUR_PATTERN = re.compile(r"#[0-9a-f]{6}")
# RFC 1123 labels; at least one dot (a host a city's DNS names), no port, no scheme.
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
HOST_PATTERN = re.compile(rf"{_LABEL}(\.{_LABEL})+")

# Elements and attributes that let an SVG run code or load something from elsewhere.
_SVG_FORBIDDEN_ELEMENTS = {"script", "foreignobject", "iframe", "embed", "object", "handler"}
_HREF_ATTRIBUTES = {"href", "{http://www.w3.org/1999/xlink}href"}


def relative_luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of a #rrggbb colour."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_with_white(colour: str) -> float:
    return (WHITE_LUMINANCE + 0.05) / (relative_luminance(colour) + 0.05)


def header_colour(text: str) -> str:
    """The colour as stored (#rrggbb, lower case) when white text on it is readable."""
    colour = (text or "").strip().lower()
    if not COLOUR_PATTERN.fullmatch(colour):
        raise ValueError(_l("Please enter a colour as #rrggbb, for example #0b4f8a."))
    if contrast_with_white(colour) < MIN_CONTRAST:
        raise ValueError(
            _l(
                "White text on this colour has a contrast of %(ratio).1f:1; at least 4.5:1 is"
                " needed. Please choose a darker colour.",
                ratio=contrast_with_white(colour),
            )
        )
    return colour


def host_name(text: str) -> str | None:
    """A host name as stored (lower case), or None for an empty field."""
    host = (text or "").strip().lower().rstrip(".")
    if not host:
        return None
    if len(host) > 253 or not HOST_PATTERN.fullmatch(host):
        raise ValueError(
            _l("Please enter a host name such as termine.example.de (no https://, no path).")
        )
    return host


def frame_ancestors(text: str) -> str:
    """Space-separated https origins (scheme and host, optional port), as stored."""
    origins = []
    for word in (text or "").split():
        parts = urlsplit(word)
        host = parts.hostname or ""
        try:
            port = parts.port
        except ValueError:
            port = -1
        if (
            parts.scheme != "https"
            or not HOST_PATTERN.fullmatch(host)
            or parts.path not in ("", "/")
            or parts.query
            or parts.fragment
            or parts.username
            or port == -1
            or parts.netloc.lower() != (host if port is None else f"{host}:{port}")
        ):
            raise ValueError(
                _l(
                    "“%(origin)s” is not an https origin such as https://portal.example.de.",
                    origin=word[:100],
                )
            )
        origin = f"https://{parts.netloc.lower()}"
        if origin not in origins:
            origins.append(origin)
    return " ".join(origins)


def logo_type(data: bytes) -> str:
    """The media type of an uploaded logo, judged by its content (never by its name or the
    type the browser sent); refuses anything else, and SVGs that could run code."""
    if not data:
        raise ValueError(_l("The file is empty."))
    if len(data) > LOGO_MAX_BYTES:
        raise ValueError(_l("The logo may be at most 256 KB."))
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if _looks_like_svg(data):
        _check_svg(data)
        return "image/svg+xml"
    raise ValueError(_l("The logo must be a PNG, JPEG, WebP or SVG image."))


def _looks_like_svg(data: bytes) -> bool:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<?xml", b"<svg", b"<!--")) and b"<svg" in data[:4096].lower()


def _check_svg(data: bytes) -> None:
    unsafe = ValueError(_l("The SVG file contains scripts or external content."))
    try:
        # No DTDs: entity tricks (billion laughs, external entities) are refused outright.
        root = safe_xml.fromstring(data, forbid_dtd=True)
    except (safe_xml.ParseError, DefusedXmlException):
        raise ValueError(_l("The SVG file could not be read.")) from None
    if _local(root.tag) != "svg":
        raise ValueError(_l("The logo must be a PNG, JPEG, WebP or SVG image."))
    for element in root.iter():
        if _local(element.tag).lower() in _SVG_FORBIDDEN_ELEMENTS:
            raise unsafe
        for name, value in element.attrib.items():
            if _local(name).lower().startswith("on"):
                raise unsafe
            if name in _HREF_ATTRIBUTES and not value.strip().startswith(("#", "data:image/")):
                raise unsafe
            if "javascript:" in value.lower().replace(" ", ""):
                raise unsafe
        if _local(element.tag) == "style" and ("@import" in (element.text or "")):
            raise unsafe


def _local(tag) -> str:
    return str(tag).rsplit("}", 1)[-1]
