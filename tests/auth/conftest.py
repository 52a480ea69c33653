import pytest

from terminvergabe.auth import oidc
from terminvergabe.db import db
from terminvergabe.limiter import limiter
from tests import factories
from tests.auth import servers
from tests.auth.servers import BASE_DN, ROOT_DN, ROOT_PASSWORD, group, person

LDAP_PASSWORD = "directory password 1"

# One municipality with two offices; groups of the directory and the provider name roles there.
GROUPS = {
    "bb-mitte-clerks": {"municipality": "musterstadt", "office": "mitte", "roles": ["clerk"]},
    "bb-desk": [
        {"municipality": "musterstadt", "office": "mitte", "roles": ["front_desk"]},
        {"municipality": "musterstadt", "office": "nord", "roles": ["front_desk"]},
    ],
    "stadt-admins": {"municipality": "musterstadt", "office": "*", "roles": ["admin"]},
    "other-city": {"municipality": "anderswo", "office": "*", "roles": ["clerk"]},
}


@pytest.fixture
def offices(app_ctx):
    musterstadt = factories.create_municipality("musterstadt", name="Musterstadt")
    mitte = factories.create_office(slug="mitte", name="Bürgerbüro Mitte", municipality=musterstadt)
    nord = factories.create_office(slug="nord", name="Bürgerbüro Nord", municipality=musterstadt)
    elsewhere = factories.create_office(slug="anders", name="Bürgerbüro Anderswo")
    db.session.commit()
    return {"mitte": mitte, "nord": nord, "elsewhere": elsewhere}


@pytest.fixture(autouse=True)
def _fresh_limits(app):
    limiter.reset()
    yield
    limiter.reset()


@pytest.fixture(scope="module")
def directory():
    directory = servers.Directory()
    directory.add(
        f"dn: {BASE_DN}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Ex\n\n"
        f"dn: ou=people,{BASE_DN}\nobjectClass: organizationalUnit\nou: people\n\n"
        f"dn: ou=groups,{BASE_DN}\nobjectClass: organizationalUnit\nou: groups\n\n"
        + person("alice", "Alice Amt", LDAP_PASSWORD)
        + person("bob", "Bob Ohnegruppe", LDAP_PASSWORD)
        + person("carol", "Carol Gesperrt", LDAP_PASSWORD, employee_type="inactive")
        + person("dora", "Dora Dienst", LDAP_PASSWORD)
        + person("erik", "Erik Entfernt", LDAP_PASSWORD)
        + person("admin", "Directory Admin Person", LDAP_PASSWORD)
        + group("bb-mitte-clerks", "alice", "carol", "dora", "erik")
        + group("bb-desk", "dora")
        + group("stadt-admins", "admin")
        + group("unmapped", "bob")
    )
    yield directory
    directory.stop()


def ldap_settings(directory) -> dict:
    return {
        "STAFF_LDAP_URL": directory.url,
        "STAFF_LDAP_BIND_DN": ROOT_DN,
        "STAFF_LDAP_BIND_PASSWORD": ROOT_PASSWORD,
        "STAFF_LDAP_USER_BASE": f"ou=people,{BASE_DN}",
        # A disabled account is one the filter leaves out (AD: the userAccountControl bit).
        "STAFF_LDAP_USER_FILTER": "(&(objectClass=inetOrgPerson)(uid={login})"
        "(!(employeeType=inactive)))",
        "STAFF_LDAP_GROUP_BASE": f"ou=groups,{BASE_DN}",
        "STAFF_LDAP_GROUP_FILTER": "(&(objectClass=groupOfNames)(member={dn}))",
        "STAFF_LDAP_GROUPS": GROUPS,
    }


@pytest.fixture
def ldap_app(app, directory, monkeypatch):
    for key, value in ldap_settings(directory).items():
        monkeypatch.setitem(app.config, key, value)
    return app


@pytest.fixture(scope="module")
def provider():
    from oidc_provider_mock import User

    provider = servers.Provider(
        users=[
            User(sub="u-anna", claims={"name": "Anna Admin", "groups": ["stadt-admins"]}),
            User(sub="u-clara", claims={"name": "Clara Clerk", "groups": ["bb-mitte-clerks"]}),
            User(sub="u-nobody", claims={"name": "No Body", "groups": ["unmapped"]}),
        ]
    )
    yield provider
    provider.stop()


@pytest.fixture
def oidc_app(app, provider, monkeypatch):
    provider.tamper = None
    provider.signing_key = provider.key
    provider.requests.clear()
    settings = {
        "STAFF_OIDC_DISCOVERY_URL": provider.discovery_url,
        "STAFF_OIDC_CLIENT_ID": "terminvergabe",
        "STAFF_OIDC_CLIENT_SECRET": "client secret value",
        "STAFF_OIDC_PROVIDER_NAME": "Stadtkonto",
        "STAFF_OIDC_GROUPS": GROUPS,
    }
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    oidc.init_app(app)
    yield app
    app.extensions.pop("staff_oidc", None)
    app.extensions.pop("authlib.integrations.flask_client", None)
