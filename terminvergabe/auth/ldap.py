"""Staff sign-in by a bind against the city's directory (OpenLDAP, Active Directory) with ldap3.

Either the service account (STAFF_LDAP_BIND_DN; anonymous when empty) searches the member's
entry with STAFF_LDAP_USER_FILTER and the member's password is then checked by binding as that
entry, or (STAFF_LDAP_USER_DN_TEMPLATE) the member binds directly. The login name only ever
reaches a filter escaped and a DN escaped, so that `*)(uid=*` finds nobody. The groups
(STAFF_LDAP_GROUP_FILTER, e.g. "(member={dn})") decide the roles, like OIDC's groups claim.

An entry is named by its STAFF_LDAP_ID_ATTRIBUTE (entryUUID, AD: objectGUID), which survives
renames and moves; re-checks look it up by that (`lookup`), through the service account.
"""

from __future__ import annotations

import logging
import ssl

from flask import current_app
from ldap3 import BASE, NONE, SUBTREE, Connection, Server, Tls
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_bytes, escape_filter_chars
from ldap3.utils.dn import escape_rdn

from terminvergabe.auth.identity import Identity

log = logging.getLogger(__name__)

MAX_LOGIN = 100


class Unavailable(Exception):
    """The directory cannot be asked (down, TLS, the service account refused)."""


def configured(app=None) -> bool:
    return bool((app or current_app).config.get("STAFF_LDAP_URL"))


def _setting(name: str):
    return current_app.config[f"STAFF_LDAP_{name}"]


def _server() -> Server:
    url = _setting("URL")
    tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=_setting("CA_FILE") or None)
    # No schema read: one round trip less, and values are sent as given (the ID as bytes).
    return Server(
        url,
        use_ssl=url.lower().startswith("ldaps://"),
        tls=tls,
        get_info=NONE,
        connect_timeout=_setting("TIMEOUT"),
    )


def _bind(user: str | None, password: str | None) -> Connection | None:
    """A bound connection, or None when the directory refuses the credentials."""
    connection = Connection(
        _server(),
        user=user,
        password=password,
        receive_timeout=_setting("TIMEOUT"),
        raise_exceptions=False,
        read_only=True,
    )
    try:
        connection.open()
        if _setting("START_TLS"):
            connection.start_tls()
        bound = connection.bind()
    except LDAPException:
        # ldap3 leaves the socket of a failed connect open; close it, not only the session.
        if connection.socket is not None:
            connection.socket.close()
        connection.unbind()
        raise
    if not bound:
        connection.unbind()
        return None
    return connection


def _service() -> Connection:
    connection = _bind(_setting("BIND_DN") or None, _setting("BIND_PASSWORD") or None)
    if connection is None:
        raise Unavailable("the service account's bind was refused")
    return connection


def _entries(connection: Connection, base: str, query: str, scope=SUBTREE, limit=2) -> list:
    attributes = [_setting("ID_ATTRIBUTE"), _setting("NAME_ATTRIBUTE")]
    connection.search(base, query, search_scope=scope, attributes=attributes, size_limit=limit)
    return [r for r in connection.response or () if r.get("type") == "searchResEntry"]


def _identity(connection: Connection, entry: dict, login: str) -> Identity | None:
    """The entry as an identity, with the groups whose filter names its DN."""
    raw_id = (entry.get("raw_attributes", {}).get(_setting("ID_ATTRIBUTE")) or [b""])[0]
    if not raw_id:
        log.warning("ldap: entry without %s; refused", _setting("ID_ATTRIBUTE"))
        return None
    names = entry.get("attributes", {}).get(_setting("NAME_ATTRIBUTE")) or [login]
    name = names[0] if isinstance(names, list) else names
    groups: list[str] = []
    if _setting("GROUP_BASE"):
        query = _setting("GROUP_FILTER").format(dn=escape_filter_chars(entry["dn"]))
        attribute = _setting("GROUP_NAME_ATTRIBUTE")
        connection.search(_setting("GROUP_BASE"), query, attributes=[attribute])
        for group in connection.response or ():
            if group.get("type") != "searchResEntry":
                continue
            value = group.get("attributes", {}).get(attribute) or []
            groups.extend(value if isinstance(value, list) else [value])
    return Identity(
        source="ldap",
        external_id=f"{_setting('URL')} {raw_id.hex()}",
        name=str(name),
        groups=tuple(str(g) for g in groups),
    )


def authenticate(login: str, password: str) -> Identity | None:
    """The directory's identity for this login and password, or None (wrong, unknown, not
    matched by the user filter, ambiguous). Unavailable when the directory cannot be asked."""
    login = login.strip()
    # An empty password makes an LDAP "unauthenticated bind", which succeeds: never send one.
    if not login or not password or len(login) > MAX_LOGIN:
        return None
    try:
        if _setting("USER_BASE"):
            service = _service()
            try:
                query = _setting("USER_FILTER").format(login=escape_filter_chars(login))
                found = _entries(service, _setting("USER_BASE"), query)
                if len(found) != 1 or not _password_ok(found[0]["dn"], password):
                    return None
                return _identity(service, found[0], login)
            finally:
                service.unbind()
        dn = _setting("USER_DN_TEMPLATE").format(login=escape_rdn(login))
        user = _bind(dn, password)
        if user is None:
            return None
        try:
            found = _entries(user, dn, "(objectClass=*)", scope=BASE, limit=1)
            return _identity(user, found[0], login) if found else None
        finally:
            user.unbind()
    except LDAPException as error:
        raise Unavailable(type(error).__name__) from None


def _password_ok(dn: str, password: str) -> bool:
    user = _bind(dn, password)
    if user is None:
        return False
    user.unbind()
    return True


def lookup(external_id: str) -> Identity | None:
    """The identity named by `external_id` as the directory has it now (its groups now), or
    None when it is gone, no longer matches the user filter, or cannot be re-checked (direct
    bind without a user base). Unavailable when the directory cannot be asked."""
    url, _, hex_id = external_id.rpartition(" ")
    if url != _setting("URL") or not _setting("USER_BASE"):
        return None
    try:
        raw_id = bytes.fromhex(hex_id)
    except ValueError:
        return None
    # The filter with any login: a member the filter now excludes (disabled) is gone.
    query = "(&({}={}){})".format(
        _setting("ID_ATTRIBUTE"), escape_bytes(raw_id), _setting("USER_FILTER").format(login="*")
    )
    try:
        service = _service()
        try:
            found = _entries(service, _setting("USER_BASE"), query)
            return _identity(service, found[0], "") if len(found) == 1 else None
        finally:
            service.unbind()
    except LDAPException as error:
        raise Unavailable(type(error).__name__) from None
