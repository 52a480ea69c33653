"""Displays and kiosks of an office, created and revoked by a manager
(terminvergabe/counter/pages/devices.py)."""

from terminvergabe.db import db
from tests.auth.staff import log_in


def test_manager_creates_and_revokes_a_device(client, office, staff):
    log_in(client, staff["office_manager"])
    page = client.post(
        f"/desk/{office.id}/devices", data={"name": "Wartezimmer", "kind": "display"}
    ).get_data(as_text=True)
    start = page.index("/display/")
    url = page[start : page.index("<", start)]
    assert client.get(url).status_code == 200
    from terminvergabe.auth.models import Device

    device = db.session.query(Device).one()
    client.post(f"/desk/{office.id}/devices/{device.id}/revoke")
    assert client.get(url).status_code == 403
