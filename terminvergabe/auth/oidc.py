"""Staff sign-in with the city's OpenID Connect provider (Keycloak, Entra ID, ADFS): the
authorization code flow with PKCE (S256), state and nonce, through Authlib's Flask client.

The ID token is checked here, not trusted: its signature against the provider's published keys,
its issuer against the discovery document, its audience against our client id, its expiry and
its nonce against the one this browser's session sent. Authlib does these checks; the claims
options below make issuer, audience and expiry required, so that a token without them is refused
rather than let through.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import current_app
from joserfc.errors import JoseError

from terminvergabe.auth.identity import Identity

log = logging.getLogger(__name__)

NAME = "staff"
# Leeway for clock skew between us and the provider, in seconds.
LEEWAY = 60


class Refused(Exception):
    """The provider's answer is not a valid sign-in. `reason` is for the log, never secret."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def configured(app=None) -> bool:
    return bool((app or current_app).config.get("STAFF_OIDC_DISCOVERY_URL"))


def init_app(app) -> None:
    if not configured(app):
        return
    oauth = OAuth(app)
    oauth.register(
        NAME,
        client_id=app.config["STAFF_OIDC_CLIENT_ID"],
        client_secret=app.config["STAFF_OIDC_CLIENT_SECRET"] or None,
        server_metadata_url=app.config["STAFF_OIDC_DISCOVERY_URL"],
        client_kwargs={
            "scope": app.config["STAFF_OIDC_SCOPES"],
            "code_challenge_method": "S256",
            "timeout": 10,
        },
    )
    app.extensions["staff_oidc"] = oauth


def _client():
    return current_app.extensions["staff_oidc"].create_client(NAME)


def provider_name() -> str:
    name = current_app.config.get("STAFF_OIDC_PROVIDER_NAME")
    return name or urlsplit(current_app.config["STAFF_OIDC_DISCOVERY_URL"]).hostname or "SSO"


def authorize_redirect(redirect_uri: str):
    """The redirect to the provider. Authlib keeps state, nonce and the PKCE verifier in the
    session (signed), under the state's name, for the callback. Refused when the provider's
    discovery document cannot be read."""
    try:
        return _client().authorize_redirect(redirect_uri)
    except (AuthlibBaseError, OSError, ValueError, KeyError) as error:
        raise Refused(f"discovery failed ({type(error).__name__})") from None


def finish() -> tuple[Identity, str]:
    """The identity of the callback's sign-in and its ID token (for the logout hint), or
    Refused: a provider error, a state this session did not send, a code the provider does not
    accept (replayed, expired), or an ID token that fails a check."""
    client = _client()
    try:
        metadata = client.load_server_metadata()
        token = client.authorize_access_token(
            claims_options={
                "iss": {"essential": True, "values": [metadata["issuer"]]},
                "aud": {"essential": True, "values": [client.client_id]},
                "exp": {"essential": True},
                "sub": {"essential": True},
            },
            leeway=LEEWAY,
        )
    except AuthlibBaseError as error:  # state mismatch, error answers, a refused code
        raise Refused(f"oauth error {error.error}") from None
    except OSError as error:  # the provider cannot be reached, or answers with an HTTP error
        raise Refused(f"provider request failed ({type(error).__name__})") from None
    except JoseError as error:  # signature, issuer, audience, expiry, nonce
        raise Refused(f"id token refused ({type(error).__name__}: {error.error})") from None
    except (KeyError, ValueError) as error:
        raise Refused(f"malformed answer ({type(error).__name__})") from None
    claims = token.get("userinfo")
    if not claims or not token.get("id_token"):
        # Authlib checks the ID token only when the session held a nonce and the answer has
        # one; a sign-in without a checked ID token is no sign-in.
        raise Refused("no checked id token")
    groups = claims.get(current_app.config["STAFF_OIDC_GROUPS_CLAIM"]) or []
    if isinstance(groups, str):
        groups = [groups]
    name = (
        claims.get("name")
        or " ".join(filter(None, (claims.get("given_name"), claims.get("family_name"))))
        or claims.get("preferred_username")
        or ""
    )
    identity = Identity(
        source="oidc",
        external_id=f"{claims['iss']} {claims['sub']}",
        name=str(name),
        groups=tuple(str(g) for g in groups if isinstance(g, str | int)),
    )
    return identity, token["id_token"]


def logout_url(id_token: str | None, post_logout_redirect_uri: str) -> str | None:
    """The provider's end-session URL (RP-initiated logout), or None when it has none."""
    client = _client()
    try:
        if not client.load_server_metadata().get("end_session_endpoint"):
            return None
        extra = {} if id_token else {"client_id": client.client_id}
        return client.create_logout_url(
            post_logout_redirect_uri=post_logout_redirect_uri, id_token_hint=id_token, **extra
        )["url"]
    except (AuthlibBaseError, OSError, ValueError) as error:
        log.warning("oidc: no end-session URL (%s)", type(error).__name__)
        return None
