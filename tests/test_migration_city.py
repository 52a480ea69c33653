"""Upgrading a database of the one-office schema with bookings to the city schema: every
booking keeps its services and times, each office's services become catalogue entries of one
municipality with an offer that keeps the office's settings, and staff keep their roles."""

import datetime as dt

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from terminvergabe import create_app
from terminvergabe.booking import availability
from terminvergabe.booking.models import Office
from terminvergabe.db import db
from tests.conftest import TEST_DATABASE_URL

BEFORE = "966abe1b572a"  # the last revision with one copy of every service per office
START = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)


def _urls(tmp_path) -> list[str]:
    urls = [f"sqlite:///{tmp_path}/old.sqlite3"]
    if TEST_DATABASE_URL and sa.make_url(TEST_DATABASE_URL).get_backend_name() == "postgresql":
        urls.append(_fresh_postgres_database(TEST_DATABASE_URL))
    return urls


def _fresh_postgres_database(url: str) -> str:
    target = sa.make_url(url)
    target = target.set(database=f"{target.database}_migration")
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    return target.render_as_string(hide_password=False)


def _insert(conn, table: str, **values) -> int | None:
    """A row of the old schema, through the table as the database describes it."""
    found = sa.Table(table, conn.info.setdefault("old_schema", sa.MetaData()), autoload_with=conn)
    result = conn.execute(found.insert().values(**values))
    return result.inserted_primary_key[0] if found.primary_key.columns.keys() == ["id"] else None


def _old_office(conn, slug: str, city: str) -> int:
    return _insert(
        conn,
        "office",
        slug=slug,
        name=f"Bürgerbüro {slug}",
        street="Markt 1",
        postcode="50667",
        city=city,
        email=f"{slug}@example.org",
        phone="",
        time_zone="Europe/Berlin",
        bundesland="NW",
        slot_minutes=10,
        horizon_days=60,
        lead_minutes=60,
        release_time=dt.time(0, 0),
        hold_minutes=10,
        max_active_per_email=3,
        cancel_deadline_minutes=1440,
        cancel_cooldown_minutes=0,
        double_opt_in=False,
        opt_in_minutes=60,
        schedule_stamp=f"stamp-{slug}",
    )


def _old_service(conn, office_id, name, leika, minutes, prefix="A", public=True) -> int:
    return _insert(
        conn,
        "service",
        office_id=office_id,
        name=name,
        description=f"{name} beschrieben",
        what_to_bring="Ausweis",
        duration_minutes=minutes,
        leika_id=leika,
        max_quantity=3,
        public=public,
        active=True,
        position=1,
        ticket_prefix=prefix,
    )


def _old_appointment(conn, office_id, counter_id, start, code, items) -> int:
    appointment_id = _insert(
        conn,
        "appointment",
        office_id=office_id,
        counter_id=counter_id,
        start_at=start,
        end_at=start + dt.timedelta(minutes=30),
        status="confirmed",
        booking_code=code,
        manage_token=f"manage-{code}",
        checkin_token=f"checkin-{code}",
        locale="de",
        citizen_name="Erika Mustermann",
        citizen_email="erika@example.org",
        citizen_phone="",
        created_at=START - dt.timedelta(days=3),
        confirmed_at=START - dt.timedelta(days=3),
        sequence=0,
    )
    for service_id, quantity in items:
        _insert(
            conn,
            "appointment_item",
            appointment_id=appointment_id,
            service_id=service_id,
            quantity=quantity,
        )
    return appointment_id


def _fill_old_database(conn) -> dict:
    mitte = _old_office(conn, "mitte", "Rheinstadt")
    nord = _old_office(conn, "nord", "Rheinstadt")
    ids = {
        "mitte_id": _old_service(conn, mitte, "Personalausweis", "99102013000000", 20),
        "mitte_pass": _old_service(conn, mitte, "Reisepass", None, 30, prefix="P"),
        "nord_id": _old_service(conn, nord, "Personalausweis (Nord)", "99102013000000", 25, "N"),
        "nord_internal": _old_service(conn, nord, "Nachbearbeitung", None, 15, public=False),
    }
    counters = {}
    for office, name, skills in (
        (mitte, "Schalter 1", ("mitte_id", "mitte_pass")),
        (nord, "Schalter 1", ("nord_id", "nord_internal")),
    ):
        counters[office] = _insert(
            conn, "counter", office_id=office, name=name, position=1, active=True
        )
        for skill in skills:
            _insert(conn, "counter_skill", counter_id=counters[office], service_id=ids[skill])
    admin = _insert(conn, "staff_member", office_id=None, name="Admin", roles="admin", active=True)
    clerk = _insert(conn, "staff_member", office_id=nord, name="Clerk", roles="clerk", active=True)
    boss = _insert(
        conn, "staff_member", office_id=mitte, name="Boss", roles="admin,front_desk", active=True
    )
    _insert(conn, "staff_skill", staff_member_id=clerk, service_id=ids["nord_id"])
    appointments = {
        "a": _old_appointment(
            conn, mitte, counters[mitte], START, "AAAA1111", [(ids["mitte_id"], 1)]
        ),
        "b": _old_appointment(
            conn,
            nord,
            counters[nord],
            START + dt.timedelta(hours=2),
            "BBBB2222",
            [(ids["nord_id"], 2), (ids["nord_internal"], 1)],
        ),
    }
    _insert(
        conn,
        "waitlist_entry",
        office_id=nord,
        selection=f"{ids['nord_id']}:1,{ids['nord_internal']}:1",
        first_day=dt.date(2026, 3, 2),
        last_day=dt.date(2026, 3, 9),
        citizen_name="",
        citizen_email="w@example.org",
        locale="de",
        status="active",
        token="waitlist-token",
        created_at=START,
    )
    return {
        **ids,
        **{f"appointment_{k}": v for k, v in appointments.items()},
        "mitte": mitte,
        "nord": nord,
        "admin": admin,
        "clerk": clerk,
        "boss": boss,
    }


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_an_old_database_with_bookings_is_migrated(tmp_path, backend):
    urls = {sa.make_url(u).get_backend_name(): u for u in _urls(tmp_path)}
    if backend not in urls:
        pytest.skip("PostgreSQL runs when TERMINVERGABE_TEST_DATABASE_URL names one")
    app = create_app({"SQLALCHEMY_DATABASE_URI": urls[backend], "SECRET_KEY": "x"})
    with app.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as conn:
            ids = _fill_old_database(conn)
        upgrade()
        with db.engine.connect() as conn:
            _check_migrated(conn, ids)
        # The app reads the migrated rows: the Nord office offers the merged service.
        nord = db.session.get(Office, ids["nord"])
        chosen = availability.validate_selection(nord, {ids["mitte_id"]: 2})
        assert [(o.duration_minutes, q) for o, q in chosen.items()] == [(25, 2)]
        assert {o.name for o in nord.public_offers} == {"Personalausweis"}
        db.session.remove()
        db.engine.dispose()


def _check_migrated(conn, ids) -> None:
    rows = lambda sql, **p: conn.execute(sa.text(sql), p).all()  # noqa: E731
    (municipality,) = rows("SELECT id, slug, name, operator_email FROM municipality")
    assert (municipality.slug, municipality.name) == ("rheinstadt", "Rheinstadt")
    assert {r.municipality_id for r in rows("SELECT municipality_id FROM office")} == {
        municipality.id
    }
    # The same LeiKa key at two offices is one catalogue service offered at both.
    services = {r.id: r for r in rows("SELECT id, name, leika_id, municipality_id FROM service")}
    assert set(services) == {ids["mitte_id"], ids["mitte_pass"], ids["nord_internal"]}
    offers = {
        (r.office_id, r.service_id): r
        for r in rows(
            "SELECT office_id, service_id, duration_minutes, max_quantity, public, ticket_prefix,"
            " modes FROM offer"
        )
    }
    assert offers[(ids["mitte"], ids["mitte_id"])].duration_minutes == 20
    nord_id = offers[(ids["nord"], ids["mitte_id"])]
    assert (nord_id.duration_minutes, nord_id.ticket_prefix, nord_id.modes) == (
        25,
        "N",
        "in_person",
    )
    assert not offers[(ids["nord"], ids["nord_internal"])].public
    assert len(offers) == 4
    # Every booking keeps its times and its services (quantities included).
    items = rows(
        "SELECT a.booking_code, a.start_at, a.mode, i.service_id, i.quantity FROM appointment a"
        " JOIN appointment_item i ON i.appointment_id = a.id ORDER BY a.booking_code, i.service_id"
    )
    assert [(r.booking_code, r.service_id, r.quantity, r.mode) for r in items] == [
        ("AAAA1111", ids["mitte_id"], 1, "in_person"),
        ("BBBB2222", ids["mitte_id"], 2, "in_person"),
        ("BBBB2222", ids["nord_internal"], 1, "in_person"),
    ]
    starts = {r.booking_code: r.start_at for r in items}
    stored = starts["AAAA1111"]
    if isinstance(stored, str):
        stored = dt.datetime.fromisoformat(stored)
    assert stored.replace(tzinfo=stored.tzinfo or dt.UTC) == START
    skills = rows("SELECT counter_id, service_id FROM counter_skill")
    assert {s.service_id for s in skills} == {
        ids["mitte_id"],
        ids["mitte_pass"],
        ids["nord_internal"],
    }
    assert rows("SELECT service_id FROM staff_skill")[0].service_id == ids["mitte_id"]
    (entry,) = rows("SELECT selection FROM waitlist_entry")
    assert entry.selection == f"{ids['mitte_id']}:1,{ids['nord_internal']}:1"
    # Staff keep their roles, now per office; an office's "admin" manages that office.
    memberships = {
        r.staff_member_id: (r.office_id, set(r.roles.split(",")))
        for r in rows("SELECT staff_member_id, office_id, roles FROM office_membership")
    }
    assert memberships == {
        ids["clerk"]: (ids["nord"], {"clerk"}),
        ids["boss"]: (ids["mitte"], {"front_desk", "office_manager"}),
    }
    staff = {r.id: r for r in rows("SELECT id, roles, municipality_id FROM staff_member")}
    assert (staff[ids["admin"]].roles, staff[ids["admin"]].municipality_id) == ("admin", None)
    assert staff[ids["clerk"]].municipality_id == municipality.id
