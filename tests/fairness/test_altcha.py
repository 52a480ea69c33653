import base64
import datetime as dt
import json

import altcha as altcha_lib
import pytest

from terminvergabe.errors import DomainError
from terminvergabe.fairness import altcha


@pytest.fixture
def cheap_pow(app):
    """Tiny challenges so that the test solves them in milliseconds."""
    saved = {k: app.config[k] for k in ("ALTCHA_COST", "ALTCHA_COUNTER_MIN", "ALTCHA_COUNTER_MAX")}
    app.config.update(ALTCHA_COST=1, ALTCHA_COUNTER_MIN=1, ALTCHA_COUNTER_MAX=30)
    yield
    app.config.update(saved)


def solve(challenge: dict) -> str:
    parsed = altcha_lib.Challenge.from_dict(challenge)
    solution = altcha_lib.solve_challenge(parsed, timeout=10)
    return altcha_lib.Payload(parsed, solution).to_base64()


def refused_code(payload: str) -> str:
    with pytest.raises(DomainError) as refused:
        altcha.verify_and_spend(payload)
    assert refused.value.status == 400
    return refused.value.code


def test_valid_solution_is_accepted_once(app_ctx, cheap_pow):
    payload = solve(altcha.create_challenge())
    altcha.verify_and_spend(payload)
    assert refused_code(payload) == "pow_replayed"


def test_expired_challenge_is_refused(app_ctx, cheap_pow):
    an_hour_ago = altcha.wall_clock() - dt.timedelta(hours=1)
    payload = solve(altcha.create_challenge(an_hour_ago))
    assert refused_code(payload) == "pow_expired"


def test_forged_solutions_are_refused(app_ctx, cheap_pow):
    challenge = altcha.create_challenge()
    good = json.loads(base64.b64decode(solve(challenge)))
    # a challenge made up by the client: parameters changed after signing
    tampered = json.loads(json.dumps(good))
    tampered["challenge"]["parameters"]["cost"] = 0
    # a wrong answer
    wrong = json.loads(json.dumps(good))
    wrong["solution"]["derivedKey"] = "00" * 32
    # a challenge signed with another key
    foreign = altcha_lib.create_challenge(
        "PBKDF2/SHA-256",
        1,
        counter=3,
        expires_at=altcha.wall_clock() + dt.timedelta(minutes=5),
        hmac_secret="not our key",
        hmac_key_secret="not our key either",
    )
    for forged in (tampered, wrong):
        encoded = base64.b64encode(json.dumps(forged).encode()).decode()
        assert refused_code(encoded) == "pow_invalid"
    assert refused_code(solve(foreign.to_dict())) == "pow_invalid"
    assert refused_code("not base64 at all!") == "pow_invalid"
    assert refused_code("") == "pow_invalid"
    # the genuine one still works: refusals spend nothing
    altcha.verify_and_spend(base64.b64encode(json.dumps(good).encode()).decode())


def test_challenge_endpoint_serves_signed_challenges(client, cheap_pow):
    response = client.get("/altcha/challenge")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["signature"] and body["parameters"]["algorithm"] == "PBKDF2/SHA-256"
    altcha.verify_and_spend(solve(body))


def test_widget_is_served_by_the_app(client):
    response = client.get("/static/altcha/altcha-lib.min.js")
    assert response.status_code == 200
    assert b"solveChallenge" in response.data
    response.close()
