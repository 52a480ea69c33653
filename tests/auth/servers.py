"""Real identity servers for the sign-in tests: OpenLDAP's slapd with a throwaway directory, and
an OpenID Connect provider (oidc-provider-mock: discovery, code flow, signed ID tokens) over
HTTP on 127.0.0.1 — the app talks to them as to a city's servers.

The OIDC provider runs behind a small WSGI layer that lets a test change the ID token the
provider hands out (claims, signing key) and records the requests it saw: that is how the
forged, expired, wrong-audience and wrong-issuer tokens reach the app through the real flow.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import werkzeug.serving
from joserfc import jwt
from joserfc.jwk import RSAKey

BASE_DN = "dc=example,dc=org"
ROOT_DN = f"cn=admin,{BASE_DN}"
ROOT_PASSWORD = "directory admin secret"


def missing(what: str) -> None:
    """Skip for lack of a server program; fail instead in CI, where .ci/run installs it."""
    message = f"{what} is not installed (Debian: apt-get install slapd ldap-utils)"
    if os.environ.get("CI"):
        pytest.fail(message + " and CI is set")
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- LDAP ------------------------------------------------------------------------------------

SLAPD_CONF = """\
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
pidfile {dir}/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
maxsize 10485760
suffix "{base}"
rootdn "{root}"
rootpw "{password}"
directory {dir}/data
access to attrs=userPassword by self write by anonymous auth by * none
access to * by * read
"""


class Directory:
    """slapd on a free port; `add` and `modify` take LDIF text (through ldapadd/ldapmodify)."""

    def __init__(self):
        slapd = shutil.which("slapd", path=os.environ.get("PATH", "") + ":/usr/sbin")
        if slapd is None or shutil.which("ldapadd") is None:
            missing("slapd")
        self.tmp = tempfile.TemporaryDirectory()
        folder = Path(self.tmp.name)
        (folder / "data").mkdir()
        (folder / "slapd.conf").write_text(
            SLAPD_CONF.format(dir=folder, base=BASE_DN, root=ROOT_DN, password=ROOT_PASSWORD)
        )
        self.port = free_port()
        self.url = f"ldap://127.0.0.1:{self.port}"
        self.log = folder / "slapd.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603
                [slapd, "-h", self.url + "/", "-f", str(folder / "slapd.conf"), "-d", "0"],
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(self.log.read_text()) from None
                time.sleep(0.05)

    def _tool(self, tool: str, ldif: str) -> None:
        subprocess.run(  # noqa: S603
            [tool, "-x", "-H", self.url, "-D", ROOT_DN, "-w", ROOT_PASSWORD],
            input=ldif.encode(),
            check=True,
            capture_output=True,
        )

    def add(self, ldif: str) -> None:
        self._tool("ldapadd", ldif)

    def modify(self, ldif: str) -> None:
        self._tool("ldapmodify", ldif)

    def delete(self, dn: str) -> None:
        self._tool("ldapdelete", dn + "\n")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        self.tmp.cleanup()


def person(uid: str, name: str, password: str, employee_type: str = "staff") -> str:
    return f"""dn: uid={uid},ou=people,{BASE_DN}
objectClass: inetOrgPerson
uid: {uid}
cn: {name}
sn: {name.split()[-1]}
employeeType: {employee_type}
userPassword: {password}

"""


def group(cn: str, *uids: str) -> str:
    members = "".join(f"member: uid={u},ou=people,{BASE_DN}\n" for u in uids)
    return f"dn: cn={cn},ou=groups,{BASE_DN}\nobjectClass: groupOfNames\ncn: {cn}\n{members}\n"


# -- OIDC ------------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def s256(verifier: str) -> str:
    return _b64(hashlib.sha256(verifier.encode()).digest())


class Provider:
    """oidc-provider-mock on a free port, its ID tokens re-signed with `key` after `tamper`
    (a function of the claims) has changed them; `signing_key` may be set to another key (a
    forgery: the published keys do not verify it). `requests` lists (path, query/form)."""

    def __init__(self, users=()):
        import oidc_provider_mock

        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig"})
        self.signing_key = self.key
        self.tamper = None
        self.requests: list[tuple[str, dict]] = []
        provider = oidc_provider_mock.app(require_nonce=True, user_claims=list(users))
        self.server = werkzeug.serving.make_server(
            "localhost", 0, self._wsgi(provider), threaded=True
        )
        self.port = self.server.server_port
        self.issuer = f"http://localhost:{self.port}"
        self.discovery_url = f"{self.issuer}/.well-known/openid-configuration"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,))
        self.thread.start()

    def _wsgi(self, provider):
        def app(environ, start_response):
            path = environ.get("PATH_INFO", "")
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            params = parse_qs(environ.get("QUERY_STRING", "")) | parse_qs(body.decode())
            self.requests.append((path, {k: v[0] for k, v in params.items()}))
            if path == "/jwks":
                payload = json.dumps({"keys": [self.key.as_dict(private=False)]}).encode()
                start_response("200 OK", [("Content-Type", "application/json")])
                return [payload]
            if path != "/oauth2/token":
                return provider(environ, start_response)
            captured = {}

            def keep(status, headers, exc_info=None):
                captured["status"], captured["headers"] = status, headers

            answer = b"".join(provider(environ, keep))
            token = json.loads(answer) if captured["status"].startswith("200") else None
            if token and "id_token" in token:
                claims = jwt.decode(token["id_token"], self._provider_key()).claims
                if self.tamper is not None:
                    claims = self.tamper(claims)
                token["id_token"] = jwt.encode(
                    {"alg": "RS256", "kid": "test-key"}, claims, self.signing_key
                )
                answer = json.dumps(token).encode()
            headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
            start_response(captured["status"], headers + [("Content-Length", str(len(answer)))])
            return [answer]

        self._provider_wsgi = provider
        return app

    def _provider_key(self):
        """The mock's own published key, to read its token before re-signing."""
        from joserfc.jwk import KeySet
        from werkzeug.test import Client

        keys = Client(self._provider_wsgi).get("/jwks").get_json()
        return KeySet.import_key_set(keys)

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(5)
        self.server.server_close()
