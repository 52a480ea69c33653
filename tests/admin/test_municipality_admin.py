"""A municipality's settings page and the operator's list of municipalities
(terminvergabe/admin/views/municipality.py)."""

import io

import pytest
import sqlalchemy as sa
from PIL import Image

from terminvergabe.audit import AuditEntry
from terminvergabe.auth import operations
from terminvergabe.booking.models import Municipality, Role, StaffMember
from terminvergabe.db import db
from tests import factories
from tests.auth.staff import PASSWORD, forget_setup_entries, log_in
from tests.citizen.pages.helpers import text


@pytest.fixture
def client(client):
    client.set_cookie("lang", "en")  # messages are checked by their English msgid
    return client


@pytest.fixture
def towns(app_ctx):
    a = factories.create_municipality("stadt-a", name="Stadt Aachtal")
    b = factories.create_municipality("stadt-b", name="Gemeinde Bergdorf", host="b.example.de")
    office_a = factories.create_office(slug="amt-a", municipality=a)
    db.session.flush()
    people = {
        "admin_a": operations.create_staff(
            "admin-a", PASSWORD, "Admin A", [Role.ADMIN], municipality=a
        ),
        "admin_b": operations.create_staff(
            "admin-b", PASSWORD, "Admin B", [Role.ADMIN], municipality=b
        ),
        "operator": operations.create_staff("operator", PASSWORD, "Betrieb", [Role.ADMIN]),
        "manager_a": operations.create_staff(
            "manager-a", PASSWORD, "Manager A", [Role.OFFICE_MANAGER], office_a
        ),
    }
    forget_setup_entries()
    db.session.commit()
    return a, b, people


def _settings(municipality, **changes):
    values = {
        "name": municipality.name,
        "host": municipality.host or "",
        "colour": municipality.colour,
        "operator_name": "Stadtverwaltung Aachtal",
        "operator_address": "Rathausplatz 1\n11111 Aachtal",
        "operator_email": "info@aachtal.example",
        "operator_phone": "0123 4567",
        "representative": "Anna Acht",
        "privacy_officer": "",
        "supervisory_authority": "",
        "accessibility_contact": "",
        "frame_ancestors": "",
    }
    values.update(changes)
    return values


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 4), "#003366").save(out, "PNG")
    return out.getvalue()


def test_the_admin_saves_the_settings_and_the_log_says_what_changed(client, towns):
    a, _, people = towns
    log_in(client, people["admin_a"])
    url = f"/admin/m/{a.id}/settings"
    page = text(client.get(url))
    assert "Settings of the municipality" in page and 'enctype="multipart/form-data"' in page
    data = _settings(
        a,
        host="Termine.Aachtal.example",
        colour="#8A1538",
        frame_ancestors="https://www.aachtal.example",
        logo=(io.BytesIO(_png()), "wappen.png", "image/png"),
    )
    response = client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code == 302, text(response)
    db.session.expire_all()
    a = db.session.get(Municipality, a.id)
    assert (a.host, a.colour, a.representative) == (
        "termine.aachtal.example",
        "#8a1538",
        "Anna Acht",
    )
    assert a.frame_ancestors == "https://www.aachtal.example"
    assert a.logo == _png() and a.logo_type == "image/png"
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "municipality_settings")
    )
    assert entry.municipality_id == a.id and entry.actor_name == "Admin A"
    assert entry.details["colour"] == ["#0b4f8a", "#8a1538"]
    assert entry.details["logo"] == "changed"  # no image bytes in the log
    # the logo can be removed again
    response = client.post(
        url, data=_settings(a, remove_logo="y"), content_type="multipart/form-data"
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Municipality, a.id).logo is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"colour": "#ffcc00"}, "at least 4.5:1 is needed"),
        ({"colour": "red"}, "#rrggbb"),
        ({"host": "https://x.example/"}, "host name such as"),
        ({"host": "b.example.de"}, "Another municipality already answers on this host name."),
        ({"frame_ancestors": "http://portal.example"}, "is not an https origin"),
        ({"operator_email": "not an address"}, "valid email address"),
        ({"name": ""}, "Please enter a name."),
        (
            {
                "logo": (
                    io.BytesIO(
                        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"
                    ),
                    "x.svg",
                )
            },
            "scripts",
        ),
        (
            {"logo": (io.BytesIO(b"MZ\x90\x00 not an image"), "logo.png", "image/png")},
            "must be a PNG",
        ),
    ],
)
def test_bad_settings_are_refused_beside_the_field_and_nothing_is_saved(
    client, towns, changes, message
):
    a, _, people = towns
    log_in(client, people["admin_a"])
    response = client.post(
        f"/admin/m/{a.id}/settings",
        data=_settings(a, **changes),
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert message in text(response)
    assert 'aria-invalid="true"' in text(response)
    db.session.expire_all()
    a = db.session.get(Municipality, a.id)
    assert a.operator_name == "Stadt Köln" and a.logo is None  # the factory's, unchanged
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) == 0


@pytest.mark.parametrize("who", ["admin_b", "manager_a"])
def test_others_cannot_open_a_municipalitys_settings(client, towns, who):
    a, _, people = towns
    log_in(client, people[who])
    assert client.get(f"/admin/m/{a.id}/settings").status_code == 403
    response = client.post(f"/admin/m/{a.id}/settings", data=_settings(a, name="Übernommen"))
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Municipality, a.id).name == "Stadt Aachtal"


def test_anonymous_visitors_are_sent_to_the_login(client, towns):
    a, *_ = towns
    response = client.get(f"/admin/m/{a.id}/settings")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]


def test_the_operator_edits_any_municipality_and_a_missing_one_is_404(client, towns):
    _, b, people = towns
    log_in(client, people["operator"])
    assert client.get(f"/admin/m/{b.id}/settings").status_code == 200
    assert client.get("/admin/m/9999/settings").status_code == 404


def test_the_admin_layout_links_the_settings(client, towns):
    a, _, people = towns
    log_in(client, people["admin_a"])
    page = text(client.get(f"/admin/m/{a.id}/settings"))
    assert f'href="/admin/m/{a.id}/settings"' in page and "Stadt Aachtal" in page
    assert "/admin/municipalities" not in page


# -- the operator's list ------------------------------------------------------------------------


def test_the_operator_creates_a_municipality_with_its_first_administrator(client, towns):
    *_, people = towns
    log_in(client, people["operator"])
    page = text(client.get("/admin/municipalities"))
    assert "Stadt Aachtal" in page and "Gemeinde Bergdorf" in page
    response = client.post(
        "/admin/municipalities",
        data={
            "name": "Markt Cellingen",
            "slug": "cellingen",
            "host": "termine.cellingen.example",
            "admin_name": "Clara Cell",
            "admin_login": "clara",
            "admin_password": "ein langes Passwort 1",
        },
    )
    assert response.status_code == 302, text(response)
    created = db.session.scalar(sa.select(Municipality).where(Municipality.slug == "cellingen"))
    assert (
        created.host == "termine.cellingen.example" and created.operator_name == "Markt Cellingen"
    )
    admin = db.session.scalar(sa.select(StaffMember).where(StaffMember.login == "clara"))
    assert admin.municipality_id == created.id and admin.roles == "admin"
    assert operations.authenticate("clara", "ein langes Passwort 1") == admin
    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.municipality_id == created.id)
    ).all()
    assert set(actions) == {"municipality_create", "staff_create"}
    # the new administrator sees their settings and nothing else
    log_in(client, admin)
    assert client.get(f"/admin/m/{created.id}/settings").status_code == 200
    assert client.get(f"/admin/m/{towns[0].id}/settings").status_code == 403


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"slug": "stadt-a"}, "This short name is already taken."),
        ({"slug": "Groß Stadt"}, "Use lower-case letters, digits and dashes."),
        ({"host": "b.example.de"}, "Another municipality already answers on this host name."),
        ({"admin_login": "admin-a"}, "This login name is already taken."),
        ({"admin_password": "kurz"}, "12"),
        ({"name": ""}, "Please enter a name."),
    ],
)
def test_bad_new_municipalities_are_refused(client, towns, changes, message):
    *_, people = towns
    log_in(client, people["operator"])
    data = {
        "name": "Markt Cellingen",
        "slug": "cellingen",
        "host": "",
        "admin_name": "Clara Cell",
        "admin_login": "clara",
        "admin_password": "ein langes Passwort 1",
        **changes,
    }
    response = client.post("/admin/municipalities", data=data)
    assert response.status_code == 422
    assert message in text(response)
    assert db.session.scalar(sa.select(sa.func.count(Municipality.id))) == 2
    assert db.session.scalar(sa.select(StaffMember.id).where(StaffMember.login == "clara")) is None


@pytest.mark.parametrize("who", ["admin_a", "manager_a"])
def test_only_the_operator_sees_the_list(client, towns, who):
    *_, people = towns
    log_in(client, people[who])
    assert client.get("/admin/municipalities").status_code == 403
    assert client.post("/admin/municipalities", data={"name": "X"}).status_code == 403
