"""What a directory (LDAP, Active Directory) entry means in manyi: pure rules.

The bank says which directory groups give which manyi roles in one setting,
`MANYI_LDAP_ROLE_MAP`: entries separated by `;`, each a group's DN, `=`, and the roles it gives
separated by `,`. The DN itself holds `=` and `,`, so an entry is split at its *last* `=`:

    cn=tellers,ou=groups,dc=bank,dc=cn=teller;
    cn=outlet-heads,ou=groups,dc=bank,dc=cn=branch_head,lobby_manager

A user gets every role of every mapped group they belong to; groups not in the map give
nothing. DNs are compared as directories compare them: case and the spaces around `,` and `=`
do not count. The unit is the entry's value of one attribute (e.g. `departmentNumber`) holding
the manyi unit code. Nothing here reads the clock, the database or the network.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from manyi.errors import ManyiError
from manyi.org.model import Role

_SPACES_AROUND = re.compile(r"\s*([,=])\s*")


def normalise_dn(dn: str) -> str:
    """A DN as compared: lower case, no spaces around `,` and `=`."""
    return _SPACES_AROUND.sub(r"\1", dn.strip()).lower()


@dataclass(frozen=True)
class DirectoryEntry:
    """A user as the directory describes them, read with the service account."""

    dn: str
    display_name: str
    unit_code: str
    groups: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class DirectoryAnswer:
    """What the directory said of a name and a password: `entry` None when nobody answers to
    the name (never there, removed, or switched off: the user filter leaves them out)."""

    entry: DirectoryEntry | None
    password_ok: bool


class DirectoryUnavailable(ManyiError):
    """The directory could not be asked (down, unreachable, the service account refused): the
    attempt counts against nobody, and the message says to try again or call IT."""

    status_code = 503
    error_code = "directory_unavailable"


class Directory(Protocol):
    """The bank's directory as sign-in asks it (`org.adapters.ldap.LdapDirectory`; a test's
    own directory). Raises `DirectoryUnavailable` when it cannot answer."""

    def authenticate(self, username: str, password: str) -> DirectoryAnswer: ...

    def find(self, usernames: Iterable[str]) -> dict[str, DirectoryEntry | None]:
        """Each name's entry as the service account sees it (None: not answered for)."""
        ...


def parse_role_map(text: str, *, dn: bool = True) -> dict[str, tuple[Role, ...]]:
    """MANYI_LDAP_ROLE_MAP read: {normalised group DN: roles}; with `dn` False (the identity
    platform's groups claim, MANYI_OIDC_ROLE_MAP) a group is any name. ValueError says what is
    wrong."""
    mapping: dict[str, tuple[Role, ...]] = {}
    for raw in text.split(";"):
        entry = raw.strip()
        if not entry:
            continue
        group, sep, role_text = entry.rpartition("=")
        if not sep or not group.strip() or (dn and "=" not in group):
            example = "cn=tellers,ou=groups,dc=bank=teller" if dn else "manyi-tellers=teller"
            shape = "group DN" if dn else "group"
            raise ValueError(f"{entry!r} is not '{shape}=role[,role]' (e.g. {example})")
        roles: list[Role] = []
        for name in role_text.split(","):
            name = name.strip()
            if not name:
                continue
            try:
                role = Role(name)
            except ValueError:
                known = ", ".join(r.value for r in Role)
                raise ValueError(f"unknown role {name!r} in {entry!r} (known: {known})") from None
            if role not in roles:
                roles.append(role)
        if not roles:
            raise ValueError(f"{entry!r} names no role")
        key = normalise_dn(group)
        if key in mapping:
            raise ValueError(f"group {group.strip()!r} is mapped twice")
        mapping[key] = tuple(roles)
    return mapping


def roles_for(groups: Iterable[str], role_map: Mapping[str, tuple[Role, ...]]) -> list[Role]:
    """The roles a member of `groups` gets, in the order `Role` lists them."""
    found: set[Role] = set()
    for group in groups:
        found.update(role_map.get(normalise_dn(group), ()))
    return [role for role in Role if role in found]


def parse_usernames(text: str) -> frozenset[str]:
    """A comma-separated list of usernames (MANYI_LDAP_LOCAL_ADMINS), lower case."""
    return frozenset(name.strip().lower() for name in text.split(",") if name.strip())


def check_user_filter(template: str) -> str:
    """A user filter must be one parenthesised LDAP filter holding `{username}` once."""
    template = template.strip()
    if not (template.startswith("(") and template.endswith(")")):
        raise ValueError(
            f"{template!r} is not an LDAP filter in parentheses, e.g. (uid={{username}})"
        )
    if template.count("{username}") != 1:
        raise ValueError(f"{template!r} must hold {{username}} exactly once")
    if template.count("(") != template.count(")"):
        raise ValueError(f"{template!r} has unbalanced parentheses")
    return template


_FILTER_SPECIALS = {"\\": r"\5c", "*": r"\2a", "(": r"\28", ")": r"\29", "\x00": r"\00"}


def escape_filter_value(value: str) -> str:
    """A value placed in a search filter with RFC 4515's escapes, so a typed name such as
    `*)(uid=*` is looked up as those characters, never as filter syntax."""
    return "".join(_FILTER_SPECIALS.get(char, char) for char in value)


def user_filter(template: str, username: str) -> str:
    return template.replace("{username}", escape_filter_value(username))
