"""The data scope in SQL: a row is inside a staff member's scope when its unit path starts with
the scope's path ("/1/4/" holds "/1/4/9/"). One function, so every query tests it the same way;
`manyi.org.model.path_in_scope` is the same test on a loaded row.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement


def in_scope(path_column: Any, scope_path: str) -> ColumnElement[bool]:
    """`path_column LIKE scope_path || '%'` (escaped, index-friendly), for a WHERE clause."""
    clause: ColumnElement[bool] = path_column.startswith(scope_path, autoescape=True)
    return clause
