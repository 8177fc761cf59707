"""PostgreSQL NOTIFY for the realtime hub (`manyi.realtime`): the channel, and the two ways a
committed event's payload travels with the SQL that commits it (issue 22).

- With a transaction's COMMIT (`notify_with_commit`): a session's `before_commit` leaves the
  payloads on its connection, and the COMMIT sends them in the same message.
- With the one statement of a unit whose statements commit alone (`manyi.hot_unit`): the
  statement calls `pg_notify` itself (`in_statement`), on a payload whose values only the
  statement knows (the event's id, say) are put in by SQL (`filled`).

Either way the notification is part of the transaction, delivered only if it commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Engine, event

CHANNEL = "manyi_events"
# In a PostgreSQL connection's info: the NOTIFY payloads its next COMMIT carries.
NOTIFY_AT_COMMIT = "manyi.notify_at_commit"


def mark(name: str) -> str:
    """A stand-in for a value the statement puts into a payload (`filled`): a string that no
    event's data holds (it begins and ends with a control character)."""
    return f"\x01{name}\x01"


def filled(marks: Mapping[str, str]) -> str:
    """SQL for the payload given as the next parameter, each mark's JSON form (`"\\u0001id\\u0001"`)
    replaced by the JSON SQL of `marks[name]` (an expression of the statement's own rows)."""
    sql = "%s"
    for name, json_sql in marks.items():
        assert name.isidentifier()
        # E'' with the backslashes doubled, whatever standard_conforming_strings says.
        sql = f"replace({sql}, E'\"\\\\u0001{name}\\\\u0001\"', {json_sql})"
    return sql


def in_statement(marks: Mapping[str, str]) -> str:
    """The select-list item that sends the payload given as the next parameter, its marks
    filled (`filled`), on the hub's channel: one notification per row of the statement."""
    return f"pg_notify('{CHANNEL}', {filled(marks)})"


# --- NOTIFY with the COMMIT ---------------------------------------------------------------


def notify_with_commit(engine: Engine) -> None:
    """Send a commit's NOTIFY payloads and its COMMIT as one message (issue 22).

    A session's `before_commit` leaves the payloads on its connection; when the connection
    commits, the payloads go as `SELECT pg_notify(...); COMMIT` in one simple query: the
    notifications are part of the transaction, delivered only if it commits, and the round
    trip a separate NOTIFY cost (held, when issuing, on the row of the day's number) is gone.
    The driver then finds the transaction ended and its own commit sends nothing. A rollback,
    or the connection going back to the pool, drops what was left."""
    if event.contains(engine, "commit", _commit_with_notify):
        return
    event.listen(engine, "commit", _commit_with_notify)
    event.listen(engine, "rollback", _drop_notify)
    event.listen(engine.pool, "checkin", _drop_at_checkin)


def _commit_with_notify(conn: Connection) -> None:
    if conn.invalidated or conn.closed:  # the database went away: the COMMIT fails as ever
        return
    payloads: list[str] | None = conn.info.pop(NOTIFY_AT_COMMIT, None)
    if not payloads:
        return
    import psycopg

    driver = conn.connection.dbapi_connection
    assert driver is not None
    try:
        # No parameters: psycopg sends it with the simple protocol, statements and all.
        driver.execute(commit_statement(payloads))
    except psycopg.Error as error:
        # As SQLAlchemy's own COMMIT would fail: wrapped (DBAPIError), a lost connection
        # invalidated.
        conn._handle_dbapi_exception(error, None, None, None, None)


def commit_statement(payloads: list[str]) -> str:
    """The NOTIFY of each payload and the COMMIT, as one simple query."""
    notify = "".join(f"SELECT pg_notify('{CHANNEL}', {_quoted(p)}); " for p in payloads)
    return notify + "COMMIT"


def _quoted(text: str) -> str:
    """`text` as a PostgreSQL string constant with C-style escapes (E'...'), whatever
    `standard_conforming_strings` says: every backslash and quote doubled, so nothing in it
    can end the constant. (psycopg's `sql.Literal` does the same at several times the cost.)"""
    if "\x00" in text:
        raise ValueError("a NOTIFY payload cannot hold a NUL character")
    return "E'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def _drop_notify(conn: Connection) -> None:
    if not (conn.invalidated or conn.closed):  # else the payloads went with the connection
        conn.info.pop(NOTIFY_AT_COMMIT, None)


def _drop_at_checkin(_dbapi_connection: Any, record: Any) -> None:
    if record is not None:
        record.info.pop(NOTIFY_AT_COMMIT, None)
