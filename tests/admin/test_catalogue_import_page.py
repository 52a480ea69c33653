"""The catalogue import page: municipality administrators only, a check first, then the
import of exactly the checked file."""

import io
import json

import sqlalchemy as sa

from terminvergabe.auth import operations
from terminvergabe.booking.models import Role, Service
from terminvergabe.db import db
from tests import factories
from tests.auth.staff import PASSWORD, forget_setup_entries, log_in

FILE = json.dumps(
    [{"name": "Wunschkennzeichen reservieren", "fee": "12,80 €", "synonyms": ["Kennzeichen"]}]
).encode()


def _admin(municipality, login="admin.town"):
    member = operations.create_staff(
        login, PASSWORD, "Town Admin", [Role.ADMIN], municipality=municipality
    )
    forget_setup_entries()
    db.session.commit()
    return member


def _url(municipality):
    return f"/admin/m/{municipality.id}/catalogue/import"


def _check(client, municipality, data=FILE, name="katalog.json", **form):
    upload = {"file": (io.BytesIO(data), name), "action": "check", **form}
    return client.post(_url(municipality), data=upload, content_type="multipart/form-data")


def _names(municipality):
    query = sa.select(Service.name).where(Service.municipality_id == municipality.id)
    return set(db.session.scalars(query))


def test_check_then_import(client, office):
    town = office.municipality
    log_in(client, _admin(town))
    assert client.get(_url(town)).status_code == 200
    checked = _check(client, town)
    page = checked.get_data(as_text=True)
    assert checked.status_code == 200 and "Wunschkennzeichen reservieren" in page
    assert "Wunschkennzeichen reservieren" not in _names(town)  # a check changes nothing
    content = page.split('name="content" value="')[1].split('"')[0]
    done = client.post(
        _url(town), data={"action": "import", "content": content, "filename": "katalog.json"}
    )
    assert done.status_code == 302
    assert "Wunschkennzeichen reservieren" in _names(town)
    again = _check(client, town).get_data(as_text=True)
    assert 'value="import" disabled' in again  # nothing left to import


def test_errors_are_listed_and_nothing_is_imported(client, office):
    town = office.municipality
    log_in(client, _admin(town))
    bad = json.dumps([{"name": "Teuer", "fee_cents": -5}]).encode()
    response = _check(client, town, bad)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "<code>fee_cents</code>" in page and 'value="import"' not in page
    forged = client.post(_url(town), data={"action": "import", "content": "not base64!"})
    assert forged.status_code == 422 and "Teuer" not in _names(town)


def test_no_file_and_too_large_files_are_refused(client, office, monkeypatch):
    town = office.municipality
    log_in(client, _admin(town))
    empty = client.post(_url(town), data={"action": "check"}, content_type="multipart/form-data")
    assert empty.status_code == 422
    # (a smaller limit: the test client leaves the temporary file of a large body open)
    monkeypatch.setattr("terminvergabe.admin.views.catalogue_import.MAX_UPLOAD", 1024)
    large = _check(client, town, b"[" + b" " * 2048 + b"]")
    assert large.status_code == 422 and "1 KB" in large.get_data(as_text=True)


def test_only_administrators_of_that_municipality(client, office, staff):
    town = office.municipality
    other = factories.create_municipality("anderswo")
    db.session.commit()
    log_in(client, _admin(other, "admin.other"))
    assert client.get(_url(town)).status_code == 404
    assert _check(client, town).status_code == 404
    log_in(client, staff["office_manager"])
    assert client.get(_url(town)).status_code == 403
    log_in(client, staff["admin"])  # the installation's operator
    assert client.get(_url(town)).status_code == 200
    assert client.get("/admin/m/999999/catalogue/import").status_code == 404
    client.get("/")  # log out by a fresh session
    with client.session_transaction() as session:
        session.clear()
    assert client.get(_url(town)).status_code in (302, 401)
