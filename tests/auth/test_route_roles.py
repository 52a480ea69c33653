"""Every staff route × every kind of visitor -> allowed or refused.

The table below must name every route guarded by role_required (checked against the URL map),
so a new staff route cannot be added without deciding who may use it."""

import pytest

from terminvergabe.limiter import limiter
from tests import factories
from tests.auth.staff import create_staff_set, log_in

DESK = {"admin", "office_manager", "front_desk"}
CLERK = {"admin", "office_manager", "clerk"}
STAFF = DESK | CLERK
MANAGER = {"admin", "office_manager"}

# endpoint -> (HTTP method, who may use it in the route's own office)
EXPECTED = {
    "counter.staff_home": ("GET", STAFF),
    "counter.desk": ("GET", DESK),
    "counter.desk_state": ("GET", DESK),
    "counter.desk_events": ("GET", DESK),
    "counter.check_in": ("POST", DESK),
    "counter.walk_in": ("POST", DESK),
    "counter.ticket_print": ("GET", DESK),
    "counter.requeue": ("POST", DESK | CLERK),
    "counter.counter_screen": ("GET", CLERK),
    "counter.counter_state": ("GET", CLERK),
    "counter.counter_events": ("GET", CLERK),
    "counter.call_next": ("POST", CLERK),
    "counter.recall": ("POST", CLERK),
    "counter.no_show": ("POST", CLERK),
    "counter.start": ("POST", CLERK),
    "counter.finish": ("POST", CLERK),
    "counter.park": ("POST", CLERK),
    "counter.transfer": ("POST", CLERK),
    "counter.devices": ("GET", MANAGER),
    "counter.device_create": ("POST", MANAGER),
    "counter.device_revoke": ("POST", MANAGER),
}

VISITORS = [
    "anonymous",
    "admin",
    "office_manager",
    "front_desk",
    "clerk",
    "other_office_manager",
    "other_front_desk",
    "other_clerk",
]

# Endpoints that do not belong to one office (everyone with a staff role may open them).
OFFICE_FREE = {"counter.staff_home"}


# The blueprints this table speaks for (other packages keep their own tables).
BLUEPRINTS = ("counter.", "auth.")


def _protected_endpoints(app):
    return {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if getattr(app.view_functions[rule.endpoint], "required_roles", None) is not None
        and rule.endpoint.startswith(BLUEPRINTS)
    }


def test_table_covers_every_staff_route(app):
    assert _protected_endpoints(app) == set(EXPECTED) & _protected_endpoints(app)
    missing = _protected_endpoints(app) - set(EXPECTED)
    assert not missing, f"add these routes to the role table: {missing}"


@pytest.fixture
def world(office, app_ctx):
    other = factories.create_office(slug="anderes-amt", name="Anderes Amt")
    staff = create_staff_set(office, other)
    limiter.reset()
    return office, staff


def _url(app, endpoint, office):
    from flask import url_for

    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    values = {}
    for arg in rule.arguments:
        values[arg] = {
            "office_id": office.id,
            "counter_id": office.counters[0].id,
            "ticket_id": 1,
            "device_id": 1,
        }[arg]
    return url_for(endpoint, **values)


def _expected(endpoint, visitor) -> bool:
    allowed = EXPECTED[endpoint][1]
    if visitor == "anonymous":
        return False
    if visitor.startswith("other_"):
        return endpoint in OFFICE_FREE and visitor.removeprefix("other_") in allowed
    return visitor in allowed


@pytest.mark.parametrize("visitor", VISITORS)
def test_route_role_table(app, world, visitor):
    office, staff = world
    results = {}
    for endpoint in sorted(_protected_endpoints(app)):
        client = app.test_client()
        if visitor != "anonymous":
            log_in(client, staff[visitor])
        method = EXPECTED[endpoint][0]
        url = _url(app, endpoint, office)
        response = client.open(url, method=method, headers={"Accept": "text/html"})
        refused = response.status_code in (401, 403) or (
            response.status_code == 302 and "/staff/login" in response.headers["Location"]
        )
        if getattr(response, "is_streamed", False):
            response.close()
        results[endpoint] = not refused
    expected = {endpoint: _expected(endpoint, visitor) for endpoint in results}
    assert results == expected
