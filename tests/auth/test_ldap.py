"""Staff sign-in by an LDAP bind against a real OpenLDAP slapd, started for these tests."""

import logging

import pytest
import sqlalchemy as sa

from terminvergabe.auth import access, ldap
from terminvergabe.booking.models import Role, StaffMember
from terminvergabe.db import db
from tests.auth.conftest import LDAP_PASSWORD
from tests.auth.servers import BASE_DN
from tests.auth.staff import PASSWORD


def post_login(client, login, password):
    return client.post("/staff/login", data={"login": login, "password": password})


def ldap_members() -> list[StaffMember]:
    return db.session.scalars(
        sa.select(StaffMember).where(StaffMember.identity_source == "ldap")
    ).all()


def test_a_directory_member_signs_in_with_the_groups_roles(ldap_app, client, offices, directory):
    response = post_login(client, "alice", LDAP_PASSWORD)
    assert response.status_code == 302
    (staff,) = ldap_members()
    assert staff.name == "Alice Amt"
    assert staff.external_id.startswith(directory.url + " ")
    assert staff.login is None and staff.password_hash is None
    assert staff.roles_in(offices["mitte"].id) == {Role.CLERK}
    assert client.get("/staff/").status_code == 200


def test_groups_add_up_across_offices(ldap_app, client, offices):
    assert post_login(client, "dora", LDAP_PASSWORD).status_code == 302
    (staff,) = ldap_members()
    assert staff.roles_in(offices["mitte"].id) == {Role.CLERK, Role.FRONT_DESK}
    assert staff.roles_in(offices["nord"].id) == {Role.FRONT_DESK}
    assert staff.roles_in(offices["elsewhere"].id) == frozenset()


def test_admin_group_makes_an_admin_of_the_municipality(ldap_app, client, offices):
    assert post_login(client, "admin", LDAP_PASSWORD).status_code == 302
    (staff,) = ldap_members()
    assert access.is_admin(staff) and not access.is_operator(staff)
    assert access.offices_of(staff) == sorted(
        [offices["mitte"], offices["nord"]], key=lambda o: o.name
    )


@pytest.mark.parametrize(
    ("login", "password"),
    [
        ("alice", "wrong password"),
        ("alice", ""),  # an empty password would be an "unauthenticated bind", which succeeds
        ("nobody", LDAP_PASSWORD),
        ("carol", LDAP_PASSWORD),  # disabled: the user filter leaves her out
        ("*", LDAP_PASSWORD),
        ("*)(uid=*", LDAP_PASSWORD),
        ("admin)(|(uid=*", LDAP_PASSWORD),
        ("alice)(uid=*", LDAP_PASSWORD),
        ("al*", LDAP_PASSWORD),
    ],
)
def test_wrong_unknown_disabled_and_injected_logins_are_refused(
    ldap_app, client, offices, login, password
):
    response = post_login(client, login, password)
    assert response.status_code in (200, 401)
    assert ldap_members() == []
    assert client.get("/staff/").status_code == 302


def test_the_login_is_escaped_in_the_filter(ldap_app, app_ctx):
    """`*` matches every entry unescaped: escaped, it finds nobody, even with the password."""
    assert ldap.authenticate("*", LDAP_PASSWORD) is None
    assert ldap.authenticate("al*", LDAP_PASSWORD) is None
    assert ldap.authenticate("alice", LDAP_PASSWORD) is not None


def test_a_member_without_a_mapped_group_is_told_so(ldap_app, client, offices):
    response = client.post("/staff/login?lang=en", data={"login": "bob", "password": LDAP_PASSWORD})
    assert response.status_code == 403
    assert "has no access to this system" in response.get_data(as_text=True)
    assert ldap_members() == []


def test_direct_bind_without_a_search(ldap_app, client, offices, monkeypatch):
    monkeypatch.setitem(ldap_app.config, "STAFF_LDAP_USER_BASE", "")
    monkeypatch.setitem(
        ldap_app.config, "STAFF_LDAP_USER_DN_TEMPLATE", f"uid={{login}},ou=people,{BASE_DN}"
    )
    assert post_login(client, "alice,ou=x", LDAP_PASSWORD).status_code == 401
    assert post_login(client, "alice", "wrong password").status_code == 401
    assert post_login(client, "alice", LDAP_PASSWORD).status_code == 302
    (staff,) = ldap_members()
    assert staff.roles_in(offices["mitte"].id) == {Role.CLERK}


def test_a_local_account_keeps_its_password_here(ldap_app, client, offices):
    """The installation's operator and small offices sign in with a password here."""
    from tests.auth.staff import create_staff_set

    create_staff_set(offices["mitte"])
    assert post_login(client, "clerk", PASSWORD).status_code == 302
    assert ldap_members() == []


def _age_session(client):
    with client.session_transaction() as session:
        session[access.CHECKED_KEY] -= 16 * 60


def test_removed_from_the_group_loses_access_at_the_next_check(
    ldap_app, client, offices, directory
):
    assert post_login(client, "erik", LDAP_PASSWORD).status_code == 302
    directory.modify(
        f"dn: cn=bb-mitte-clerks,ou=groups,{BASE_DN}\nchangetype: modify\n"
        f"delete: member\nmember: uid=erik,ou=people,{BASE_DN}\n"
    )
    assert client.get("/staff/").status_code == 200  # checked minutes ago: still in
    _age_session(client)
    assert client.get("/staff/").status_code == 302
    (staff,) = ldap_members()
    db.session.refresh(staff)
    assert staff.memberships == []
    assert post_login(client, "erik", LDAP_PASSWORD).status_code == 403


def test_a_member_still_in_the_directory_stays_signed_in(ldap_app, client, offices):
    assert post_login(client, "alice", LDAP_PASSWORD).status_code == 302
    _age_session(client)
    assert client.get("/staff/").status_code == 200
    with client.session_transaction() as session:
        assert session[access.CHECKED_KEY] > 0
    _age_session(client)
    assert client.get("/staff/").status_code == 200


def test_a_member_removed_from_the_directory_loses_access(ldap_app, client, offices, directory):
    from tests.auth.servers import group, person

    directory.add(person("fritz", "Fritz Fort", LDAP_PASSWORD) + group("fritz-group", "fritz"))
    directory.modify(
        f"dn: cn=bb-mitte-clerks,ou=groups,{BASE_DN}\nchangetype: modify\n"
        f"add: member\nmember: uid=fritz,ou=people,{BASE_DN}\n"
    )
    assert post_login(client, "fritz", LDAP_PASSWORD).status_code == 302
    directory.delete(f"uid=fritz,ou=people,{BASE_DN}")
    _age_session(client)
    assert client.get("/staff/").status_code == 302
    assert post_login(client, "fritz", LDAP_PASSWORD).status_code == 401


def test_a_disabled_member_loses_access(ldap_app, client, offices, directory):
    from tests.auth.servers import person

    directory.add(person("gina", "Gina Gesperrt", LDAP_PASSWORD))
    directory.modify(
        f"dn: cn=bb-mitte-clerks,ou=groups,{BASE_DN}\nchangetype: modify\n"
        f"add: member\nmember: uid=gina,ou=people,{BASE_DN}\n"
    )
    assert post_login(client, "gina", LDAP_PASSWORD).status_code == 302
    directory.modify(
        f"dn: uid=gina,ou=people,{BASE_DN}\nchangetype: modify\n"
        "replace: employeeType\nemployeeType: inactive\n"
    )
    _age_session(client)
    assert client.get("/staff/").status_code == 302


def test_a_directory_outage_ends_the_session_and_says_so(
    ldap_app, client, offices, caplog, monkeypatch
):
    assert post_login(client, "alice", LDAP_PASSWORD).status_code == 302
    monkeypatch.setitem(ldap_app.config, "STAFF_LDAP_URL", "ldap://127.0.0.1:1")
    monkeypatch.setitem(ldap_app.config, "STAFF_LDAP_TIMEOUT", 1)
    _age_session(client)
    with caplog.at_level(logging.INFO):
        assert client.get("/staff/").status_code == 302
    response = client.post(
        "/staff/login",
        data={"login": "alice", "password": LDAP_PASSWORD},
        query_string={"lang": "en"},
    )
    assert response.status_code == 401
    assert "directory cannot be reached" in response.get_data(as_text=True)
    assert LDAP_PASSWORD not in caplog.text
