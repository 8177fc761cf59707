"""The directory's word on accounts already signed in (MANYI_AUTH=ldap): the worker's sweep.

A sign-in refuses a person the directory no longer answers for, but a session they already had
would last until it ends (`MANYI_SESSION_HOURS`). So the worker asks the directory, with the
service account, about every active account it keeps, and deactivates each one that is gone,
switched off or in no mapped group, ending its sessions — as a refused sign-in does
(`directory_sign_in.mark_removed`, `auth.directory_removed` on the audit chain).

The directory is asked with no transaction open; each account found gone is then marked in a
short unit of work of its own that checks again it is still active. The job is leased (one
worker at a time), so an account is marked once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlalchemy import select

from manyi.db import Database
from manyi.org.directory_rules import Directory, roles_for
from manyi.org.directory_sign_in import mark_removed
from manyi.org.model import Role
from manyi.org.tables import Staff


def sweep(
    db: Database,
    directory: Directory,
    role_map: Mapping[str, tuple[Role, ...]],
    now: dt.datetime,
) -> list[str]:
    """Deactivate the directory accounts the directory no longer vouches for; their usernames.
    Raises `DirectoryUnavailable` (nothing changed) when the directory cannot answer."""
    with db.read() as session:
        rows = session.execute(
            select(Staff.id, Staff.username).where(Staff.active, Staff.directory_dn.is_not(None))
        )
        accounts = [(int(staff_id), str(username)) for staff_id, username in rows]
    if not accounts:
        return []
    entries = directory.find(username for _, username in accounts)
    removed: list[str] = []
    for staff_id, username in accounts:
        entry = entries.get(username)
        if entry is None:
            reason = "not in the directory"
        elif not roles_for(entry.groups, role_map):
            reason = "no manyi role"
        else:
            continue
        with db.session() as session:
            staff = session.get(Staff, staff_id)
            if staff is not None and staff.active and staff.directory_dn is not None:
                mark_removed(session, staff, reason, now)
                removed.append(username)
    return removed
