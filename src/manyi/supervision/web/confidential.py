"""The access of a misconduct case's pages: confidential.

A case's pages answer 404 to anyone who may not see misconduct cases, exactly as to a case that
does not exist or lies outside one's scope, so no answer tells that a case exists. (The list
and the form that opens a case are not secret: they answer 403 without the permission.)
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends

from manyi.errors import NotFound
from manyi.org.model import Permission
from manyi.web.security import PermissionDenied, Principal, require


def confidential(*also: Permission) -> Any:
    """Dependency: a signed-in staff member holding `supervision.misconduct` (else 404) and
    the permissions `also` (else 403); the case itself is then loaded within their scope."""

    def dependency(principal: Principal = require()) -> Principal:
        if not principal.can(Permission.MISCONDUCT_MANAGE):
            raise NotFound("no misconduct case here", "case")
        if any(not principal.can(p) for p in also):
            raise PermissionDenied()
        return principal

    return Depends(dependency)


CASE = confidential()  # a case's pages and steps
CASE_AND_ISSUE = confidential(Permission.SUPERVISION_ISSUE)  # a rectification task from a case
