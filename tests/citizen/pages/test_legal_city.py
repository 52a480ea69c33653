"""Several municipalities on one installation, as citizens see them: each page carries its
municipality's name, colour and logo and its operator data; a municipality's own host name
shows nothing of another; embedding follows each municipality's portals."""

import io

import pytest
from PIL import Image

from terminvergabe.db import db
from tests import factories
from tests.citizen.pages.helpers import hold_via_pages, text

HOST_A = "termine.stadt-a.example"
HOST_B = "termine.stadt-b.example"


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 4), "#8a1538").save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def city(app_ctx):
    a = factories.create_municipality(
        "stadt-a",
        name="Stadt Aachtal",
        host=HOST_A,
        colour="#8a1538",
        operator_name="Stadtverwaltung Aachtal",
        operator_address="Rathausplatz 1, 11111 Aachtal",
        operator_email="info@aachtal.example",
        representative="Oberbürgermeisterin Anna Acht",
        privacy_officer="Datenschutzbeauftragter Aachtal\ndatenschutz@aachtal.example",
        supervisory_authority="Landesbeauftragte für Datenschutz A-Land",
        accessibility_contact="Barrierefreiheit Aachtal\nbarrierefrei@aachtal.example",
        frame_ancestors="https://www.aachtal.example",
        logo=_png(),
        logo_type="image/png",
    )
    b = factories.create_municipality(
        "stadt-b",
        name="Gemeinde Bergdorf",
        host=HOST_B,
        operator_name="Gemeindeverwaltung Bergdorf",
        operator_address="Dorfstraße 2, 22222 Bergdorf",
        representative="Bürgermeister Bernd Berg",
    )
    office_a = factories.create_office(slug="amt-a", name="Bürgerbüro Aachtal", municipality=a)
    office_b = factories.create_office(slug="amt-b", name="Bürgerbüro Bergdorf", municipality=b)
    db.session.commit()
    return a, b, office_a, office_b


def test_each_municipality_has_its_own_imprint_privacy_and_accessibility_pages(client, city):
    a, b, *_ = city
    imprint_a = text(client.get("/k/stadt-a/impressum"))
    assert "Stadtverwaltung Aachtal" in imprint_a and "Rathausplatz 1" in imprint_a
    assert "Anna Acht" in imprint_a and "Bergdorf" not in imprint_a
    imprint_b = text(client.get("/k/stadt-b/impressum"))
    assert "Bernd Berg" in imprint_b and "Aachtal" not in imprint_b
    privacy_a = text(client.get("/k/stadt-a/datenschutz"))
    assert "datenschutz@aachtal.example" in privacy_a
    assert "Landesbeauftragte für Datenschutz A-Land" in privacy_a
    accessibility_a = text(client.get("/k/stadt-a/barrierefreiheit"))
    assert "barrierefrei@aachtal.example" in accessibility_a


def test_the_hosts_municipality_answers_the_unprefixed_pages(client, city):
    page = text(client.get("/impressum", base_url=f"http://{HOST_B}"))
    assert "Gemeindeverwaltung Bergdorf" in page and "Aachtal" not in page
    # and its pages link its own legal pages without the prefix
    assert 'href="/datenschutz"' in page


def test_without_a_host_and_with_several_municipalities_the_settings_stand_in(client, city):
    client.application.config["OPERATOR_NAME"] = "Rechenzentrum Südwest"
    try:
        page = text(client.get("/impressum"))
    finally:
        client.application.config.pop("OPERATOR_NAME")
    assert "Rechenzentrum Südwest" in page
    assert "Aachtal" not in page and "Bergdorf" not in page


def test_the_only_municipality_answers_the_unprefixed_pages(client, office):
    office.municipality.representative = "Bürgermeisterin Erika Muster"
    db.session.commit()
    page = text(client.get("/impressum"))
    assert "Erika Muster" in page and "Markt 1" in page  # the office's address stands in


def test_an_unknown_municipality_is_404(client, city):
    assert client.get("/k/nirgendwo/impressum").status_code == 404
    assert client.get("/k/nirgendwo/logo").status_code == 404
    assert client.get("/k/" + "x" * 500 + "/brand.css").status_code == 404


def test_office_pages_show_their_municipalitys_name_logo_and_colour(client, city):
    a, b, office_a, office_b = city
    page = text(client.get("/o/amt-a"))
    # the logo's alternative text names the municipality; the visible name is not read twice
    assert 'alt="Stadt Aachtal" lang="de">' in page and "/k/stadt-a/logo?v=" in page
    assert 'lang="de" aria-hidden="true">Stadt Aachtal</span>' in page
    css_url = page.split('href="/k/stadt-a/brand.css')[1].split('"')[0]
    css = client.get("/k/stadt-a/brand.css" + css_url)
    assert css.mimetype == "text/css" and "#8a1538" in css.get_data(as_text=True)
    page_b = text(client.get("/o/amt-b"))
    assert 'class="brand__name" lang="de">Gemeinde Bergdorf</span>' in page_b
    assert "Aachtal" not in page_b and "/k/stadt-b/logo" not in page_b  # B has no logo
    assert 'href="/k/stadt-b/impressum"' in page_b


def test_the_name_is_not_marked_on_german_pages(client, city):
    page = text(client.get("/o/amt-b?lang=de"))
    assert '<span class="brand__name">Gemeinde Bergdorf</span>' in page


def test_appointment_pages_show_the_offices_municipality(client, city):
    *_, office_b = city
    token, _ = hold_via_pages(client, office_b)
    page = text(client.get(f"/a/{token}/details"))
    assert "Gemeinde Bergdorf" in page and "Aachtal" not in page


def test_logo_is_served_with_its_type_and_cache_headers(client, city):
    a, *_ = city
    response = client.get("/k/stadt-a/logo")
    assert response.status_code == 200
    assert response.mimetype == "image/png" and response.data == a.logo
    assert "public" in response.headers["Cache-Control"]
    assert "max-age=86400" in response.headers["Cache-Control"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    again = client.get("/k/stadt-a/logo", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert client.get("/k/stadt-b/logo").status_code == 404  # B has none


def test_an_svg_logo_is_served_in_a_sandbox_without_scripts(client, city):
    a, *_ = city
    a.logo, a.logo_type = b'<svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml"
    db.session.commit()
    response = client.get("/k/stadt-a/logo")
    policy = response.headers["Content-Security-Policy"]
    assert response.mimetype == "image/svg+xml"
    assert "default-src 'none'" in policy and "sandbox" in policy and "script" not in policy


# -- a municipality's own host shows nothing of another ---------------------------------------


def test_on_a_municipalitys_host_another_ones_pages_are_404(client, city):
    *_, office_b = city
    token_b, _ = hold_via_pages(client, office_b)
    on_a = {"base_url": f"http://{HOST_A}"}
    for path in (
        "/o/amt-b",
        "/o/amt-b/days",
        "/o/amt-b/days/2026-01-13",
        f"/a/{token_b}",
        f"/a/{token_b}/details",
        f"/a/{token_b}/cancel",
        "/k/stadt-b/impressum",
        "/k/stadt-b/datenschutz",
        "/k/stadt-b/barrierefreiheit",
        "/k/stadt-b/logo",
        "/k/stadt-b/brand.css",
    ):
        response = client.get(path, **on_a)
        assert response.status_code == 404, path
        assert "Bergdorf" not in text(response), path
    assert client.post("/o/amt-b/hold", data={}, **on_a).status_code == 404
    # A's own pages answer there, and B's on B's host and on the installation's own name
    assert client.get("/o/amt-a", **on_a).status_code == 200
    assert client.get("/k/stadt-a/impressum", **on_a).status_code == 200
    assert client.get(f"/a/{token_b}/details", base_url=f"http://{HOST_B}").status_code == 200
    assert client.get(f"/a/{token_b}/details").status_code == 200


def test_a_404_on_a_municipalitys_host_keeps_its_header(client, city):
    page = text(client.get("/o/amt-b", base_url=f"http://{HOST_A}"))
    assert "Stadt Aachtal" in page


def test_the_host_is_matched_without_port_and_case(client, city):
    response = client.get("/impressum", base_url=f"http://{HOST_A.upper()}:8080")
    assert "Stadtverwaltung Aachtal" in text(response)


# -- embedding ---------------------------------------------------------------------------------


def test_a_municipalitys_portals_may_embed_its_pages_only(client, city, monkeypatch):
    monkeypatch.setitem(client.application.config, "FRAME_ANCESTORS", ["https://land.example"])
    for path in ("/o/amt-a", "/k/stadt-a/impressum"):
        response = client.get(path)
        policy = response.headers["Content-Security-Policy"]
        assert "frame-ancestors https://land.example https://www.aachtal.example" in policy, path
        assert "X-Frame-Options" not in response.headers
    policy_b = client.get("/o/amt-b").headers["Content-Security-Policy"]
    assert "frame-ancestors https://land.example;" in policy_b + ";"
    assert "aachtal" not in policy_b


def test_without_any_portal_nobody_may_embed(client, city):
    response = client.get("/o/amt-b")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    response = client.get("/o/amt-a")
    assert (
        "frame-ancestors https://www.aachtal.example" in response.headers["Content-Security-Policy"]
    )
    assert "X-Frame-Options" not in response.headers
