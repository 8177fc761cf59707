"""The bank's LDAP or Active Directory server, asked with `ldap3`.

One sign-in is four steps on one connection: bind as the service account
(`MANYI_LDAP_BIND_DN`), search `MANYI_LDAP_USER_BASE` for the one entry the user filter finds
(the typed name escaped, so it cannot change the filter), read its groups (a search of
`MANYI_LDAP_GROUP_BASE` for groups naming it as `member`, or, without a group base, the entry's
own `memberOf` as Active Directory keeps it), then bind as that entry with the typed password.
The password goes to the directory and nowhere else: it is neither kept nor logged.

With `MANYI_LDAP_NESTED_GROUPS` the groups those groups belong to count too, level by level
(`_nested`): one search of the group base per level for groups naming any group of the level
before as `member`, or, in `memberOf` mode, each new group's own `memberOf` read. A group met
twice (a loop in the directory) is followed once, and at most `NESTING_LEVELS` levels are
followed above a person's own groups.

`ldaps://` URLs use TLS from the start; `MANYI_LDAP_START_TLS` upgrades an `ldap://` connection
before anything is sent. Both check the server's certificate against `MANYI_LDAP_CA_FILE` (or
the system's authorities).
"""

from __future__ import annotations

import logging
import math
import ssl
from collections.abc import Iterable
from dataclasses import dataclass

import ldap3
from ldap3.core.exceptions import LDAPException

from manyi.org.directory_rules import (
    DirectoryAnswer,
    DirectoryEntry,
    DirectoryUnavailable,
    escape_filter_value,
    normalise_dn,
    user_filter,
)

log = logging.getLogger(__name__)

NESTING_LEVELS = 8  # groups of groups followed at most this far above a person's own groups
_MEMBERS_PER_SEARCH = 40  # `(|(member=…)…)` terms in one search of the group base


@dataclass(frozen=True)
class LdapConfig:
    """The MANYI_LDAP_* settings a sign-in needs (`Settings.ldap_config`)."""

    url: str
    bind_dn: str
    bind_password: str
    user_base: str
    user_filter: str
    group_base: str = ""
    display_name_attribute: str = "displayName"
    unit_attribute: str = "departmentNumber"
    start_tls: bool = False
    ca_file: str = ""
    timeout_s: float = 5.0
    nested_groups: bool = False


def _values(attributes: dict[str, object], name: str) -> list[str]:
    for key, value in attributes.items():
        if key.lower() == name.lower():
            items: Iterable[object] = value if isinstance(value, list | tuple) else [value]
            return [str(item) for item in items if str(item).strip()]
    return []


class LdapDirectory:
    """`org.directory_rules.Directory` over LDAP v3."""

    def __init__(self, config: LdapConfig) -> None:
        self.config = config

    def _server(self) -> ldap3.Server:
        tls = None
        if self.config.url.lower().startswith("ldaps://") or self.config.start_tls:
            tls = ldap3.Tls(
                validate=ssl.CERT_REQUIRED,
                version=ssl.PROTOCOL_TLS_CLIENT,
                ca_certs_file=self.config.ca_file or None,
            )
        return ldap3.Server(
            self.config.url,
            tls=tls,
            get_info=ldap3.NONE,
            connect_timeout=self.config.timeout_s,
        )

    def _connection(self, server: ldap3.Server, user: str, password: str) -> ldap3.Connection:
        connection = ldap3.Connection(
            server,
            user=user,
            password=password,
            # Whole seconds: ldap3 packs it into the socket's timeval as an integer.
            receive_timeout=max(1, math.ceil(self.config.timeout_s)),
            raise_exceptions=False,
            read_only=True,
        )
        connection.open()
        if self.config.start_tls and not self.config.url.lower().startswith("ldaps://"):
            connection.start_tls()
        return connection

    def _service(self, server: ldap3.Server) -> ldap3.Connection:
        service = self._connection(server, self.config.bind_dn, self.config.bind_password)
        if not service.bind():
            log.warning("the directory refused the service account: %s", service.result)
            service.unbind()
            raise DirectoryUnavailable(
                "the directory refused manyi's service account; ask IT to check MANYI_LDAP_BIND_DN"
            )
        return service

    def find(self, usernames: Iterable[str]) -> dict[str, DirectoryEntry | None]:
        """Each name's entry, on one service connection (the worker's sweep)."""
        try:
            service = self._service(self._server())
            try:
                return {name: self._find(service, name) for name in usernames}
            finally:
                service.unbind()
        except LDAPException as exc:
            log.warning("the directory cannot be reached: %s", exc)
            raise DirectoryUnavailable(
                "the bank's directory cannot be reached; try again shortly or ask IT"
            ) from None

    def authenticate(self, username: str, password: str) -> DirectoryAnswer:
        server = self._server()
        try:
            service = self._service(server)
            try:
                entry = self._find(service, username)
            finally:
                service.unbind()
            # An empty password would be an unauthenticated bind, which LDAP answers with
            # success: it is never sent.
            if entry is None or not password:
                return DirectoryAnswer(entry, password_ok=False)
            user = self._connection(server, entry.dn, password)
            try:
                return DirectoryAnswer(entry, password_ok=bool(user.bind()))
            finally:
                user.unbind()
        except LDAPException as exc:
            log.warning("the directory cannot be reached: %s", exc)
            raise DirectoryUnavailable(
                "the bank's directory cannot be reached; try again shortly or ask IT"
            ) from None

    def _find(self, connection: ldap3.Connection, username: str) -> DirectoryEntry | None:
        config = self.config
        attributes = [config.display_name_attribute, "cn", config.unit_attribute]
        if not config.group_base:
            attributes.append("memberOf")
        ok = connection.search(
            config.user_base,
            user_filter(config.user_filter, username),
            search_scope=ldap3.SUBTREE,
            attributes=attributes,
            size_limit=2,
        )
        found = [item for item in connection.response or [] if item.get("type") == "searchResEntry"]
        # No entry, or more than two (the size limit), is an answer; anything else is not.
        answered = ("success", "noSuchObject", "sizeLimitExceeded")
        if not ok and connection.result.get("description") not in answered:
            raise DirectoryUnavailable(
                "the directory refused the search for the user; ask IT to check"
                " MANYI_LDAP_USER_BASE"
            )
        if len(found) != 1:  # nobody, or a name that is not unique: no sign-in either way
            return None
        dn = str(found[0]["dn"])
        values = dict(found[0].get("attributes", {}))
        names = _values(values, config.display_name_attribute) or _values(values, "cn")
        units = _values(values, config.unit_attribute)
        own = _values(values, "memberOf")
        groups = self._members_of(connection, [dn]) if config.group_base else own
        if config.nested_groups:
            groups += self._nested(connection, dn, groups)
        return DirectoryEntry(
            dn=dn,
            display_name=names[0] if names else "",
            unit_code=units[0].strip() if units else "",
            groups=tuple(groups),
        )

    def _members_of(self, connection: ldap3.Connection, dns: list[str]) -> list[str]:
        """The groups under the group base naming any of `dns` as `member`."""
        found: list[str] = []
        for start in range(0, len(dns), _MEMBERS_PER_SEARCH):
            terms = "".join(
                f"(member={escape_filter_value(dn)})"
                for dn in dns[start : start + _MEMBERS_PER_SEARCH]
            )
            connection.search(
                self.config.group_base,
                f"(|{terms})",
                search_scope=ldap3.SUBTREE,
                attributes=[],
            )
            found += [
                str(item["dn"])
                for item in connection.response or []
                if item.get("type") == "searchResEntry"
            ]
        return found

    def _member_of_attribute(self, connection: ldap3.Connection, group: str) -> list[str]:
        """A group entry's own `memberOf` (Active Directory's): nothing when it cannot be read."""
        connection.search(
            group, "(objectClass=*)", search_scope=ldap3.BASE, attributes=["memberOf"]
        )
        for item in connection.response or []:
            if item.get("type") == "searchResEntry":
                return _values(dict(item.get("attributes", {})), "memberOf")
        return []

    def _nested(self, connection: ldap3.Connection, dn: str, own: list[str]) -> list[str]:
        """The groups above a person's own groups `own`, nearest first, each once."""
        seen = {normalise_dn(dn), *(normalise_dn(group) for group in own)}
        above: list[str] = []
        level = list(own)
        for _ in range(NESTING_LEVELS):
            if not level:
                break
            if self.config.group_base:
                parents = self._members_of(connection, level)
            else:
                parents = [
                    parent
                    for group in level
                    for parent in self._member_of_attribute(connection, group)
                ]
            level = []
            for parent in parents:
                key = normalise_dn(parent)
                if key not in seen:
                    seen.add(key)
                    level.append(parent)
            above += level
        return above
