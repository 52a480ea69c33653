"""A municipality's offices side by side: the figures of each office and of all together, for
the municipality's administrators only."""

import datetime as dt

from terminvergabe.counter import checkin
from terminvergabe.db import db
from tests.counter.helpers import book, service

# The test clock's Monday; appointments are booked for the next morning.
TUESDAY_9 = dt.datetime(2026, 1, 13, 8, 0, tzinfo=dt.UTC)


def test_each_office_and_the_total(client, city, city_admin, now):
    municipality, office, nord = city
    book(office, TUESDAY_9, now)
    book(office, TUESDAY_9 + dt.timedelta(hours=1), now, name="Max Muster")
    book(nord, TUESDAY_9, now)
    checkin.walk_in(nord, service(nord, "Personal").id, now)
    db.session.commit()
    path = f"/admin/m/{municipality.id}/statistics"
    query = {"first": "2026-01-12", "last": "2026-01-16", "lang": "en"}
    response = client.get(path, query_string=query)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    rows = {
        name: page.split(name, 1)[1].split("</tr>", 1)[0]
        for name in ("Bürgerbüro Testamt</a>", "Bürgerbüro Nord</a>", "All offices</th>")
    }
    cells = {name: [c.split("<")[0] for c in row.split("<td>")[1:]] for name, row in rows.items()}
    assert cells["Bürgerbüro Testamt</a>"][:5] == ["2", "0", "0", "0", "0"]
    assert cells["Bürgerbüro Nord</a>"][:5] == ["1", "0", "0", "0", "1"]
    assert cells["All offices</th>"][:5] == ["3", "0", "0", "0", "1"]
    assert f"/admin/{nord.id}/statistics?first=2026-01-12" in page


def test_a_period_that_is_not_one_is_refused(client, city, city_admin):
    path = f"/admin/m/{city[0].id}/statistics"
    response = client.get(path, query_string={"first": "2026-02-30", "last": "x", "lang": "en"})
    assert response.status_code == 422
    assert "All offices" not in response.get_data(as_text=True)


def test_only_its_administrators_see_it(client, city, manager_of_testamt):
    assert client.get(f"/admin/m/{city[0].id}/statistics").status_code == 403


def test_the_language_alone_asks_for_the_last_30_days(client, city, city_admin):
    municipality, office, _nord = city
    for path in (f"/admin/m/{municipality.id}/statistics", f"/admin/{office.id}/statistics"):
        response = client.get(path, query_string={"lang": "en"})
        assert response.status_code == 200, path
        assert 'value="2025-12-13"' in response.get_data(as_text=True), path
