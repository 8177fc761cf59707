"""The organisation's worker job: accounts the bank's directory no longer vouches for."""

from __future__ import annotations

import datetime as dt

from manyi.config import Settings
from manyi.config_auth import ldap_config
from manyi.db import Database
from manyi.org.adapters.ldap import LdapDirectory
from manyi.org.directory_rules import DirectoryUnavailable, parse_role_map
from manyi.org.directory_sweep import sweep
from manyi.worker import JobResult, WorkerJob


def directory_sweep(db: Database, settings: Settings, now: dt.datetime) -> JobResult:
    if settings.auth != "ldap":
        return JobResult(done=0, summary="MANYI_AUTH is not ldap: no directory to ask")
    directory = LdapDirectory(ldap_config(settings))
    try:
        removed = sweep(db, directory, parse_role_map(settings.ldap_role_map), now)
    except DirectoryUnavailable as exc:
        return JobResult(done=0, summary=f"directory sweep skipped: {exc.text()}")
    if not removed:
        return JobResult(done=0, summary="every directory account is still in the directory")
    return JobResult(
        done=len(removed), summary=f"deactivated, gone from the directory: {', '.join(removed)}"
    )


# Every 15 minutes, one worker at a time: a removed person's session ends within that.
JOBS = (WorkerJob("directory-sweep", directory_sweep, every_s=900, lease_s=600),)
