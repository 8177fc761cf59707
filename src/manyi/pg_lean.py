"""The driver's statements sent on libpq's connection itself (issue 22, docs/lobby.md "Ninth
round").

psycopg's cursor wraps each statement in Python of its own: a generator per step, the prepared
statements' bookkeeping, the query's conversion, the result's set-up. For the lobby's hot
statements (a few a request, each with its parameters already in PostgreSQL's `$1` form:
`driver_sql`) that was some 8 % of a device request's CPU. `LeanStatements` does the same work
with psycopg's own C parts, in fewer steps:

- the parameters dumped by psycopg's `Transformer` of the connection (its adapters: the same
  values on the wire as the cursor sends);
- each statement prepared on the connection the first time it is sent with those parameter
  types (`_manyi_N`, apart from psycopg's own `_pg3_N`), then executed by name; past
  `MAX_PREPARED` statements on one connection, the rest are sent unprepared;
- psycopg's C generator (`generators.execute`) run by the connection's `wait`, the results
  loaded by the `Transformer`;
- a BEGIN first when the connection is not in autocommit and no transaction is open, as
  psycopg's cursor sends it, but in the same write as the unit's first statement (libpq's
  pipeline mode, left again at once): one round trip fewer a unit (docs/lobby.md "Tenth
  round");
- an error answered by the server raised as psycopg raises it (`errors.error_from_result`: the
  same classes, SQLSTATE and diagnostics), a lost connection as psycopg's `OperationalError`.

It answers what `driver_sql.Driver` reads of a cursor: `fetchone`, `fetchall`, `rowcount`.
It leans on two parts of psycopg that are not its documented API (`generators.execute` and
`Connection.wait`); `tests/integration/test_driver_sql.py` runs every kind of statement the
lobby sends through it, on PostgreSQL.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from psycopg import errors, pq
from psycopg.adapt import PyFormat, Transformer
from psycopg.generators import execute, fetch_many

MAX_PREPARED = 200  # statements prepared on one connection; past them, sent unprepared
_OK = (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK)
_TUPLES = pq.ExecStatus.TUPLES_OK
_IDLE = pq.TransactionStatus.IDLE
_ABORTED = pq.ExecStatus.PIPELINE_ABORTED


def run_simple(raw: Any, sql: bytes) -> None:
    """Run `sql` on psycopg's connection `raw` with the simple protocol (no parameters, several
    statements allowed), past its cursor; the server's first error raised as psycopg raises
    it. The lanes' COMMIT, with the unit's NOTIFYs before it (`hot_lanes`)."""
    raw.pgconn.send_query(sql)
    _answered(raw)


def _answered(raw: Any) -> Any:
    """The last answer to what was sent on `raw` (not in pipeline mode), or its error raised."""
    return _last_or_error(raw, raw.wait(execute(raw.pgconn)))


def _last_or_error(raw: Any, answers: list[Any]) -> Any:
    """The last of `answers`, or the first error among them raised as psycopg raises it (those
    the server skipped after an error, in pipeline mode, passed over)."""
    for answer in answers:
        if answer.status not in _OK and answer.status != _ABORTED:
            raise errors.error_from_result(answer, encoding=raw.info.encoding)
    return answers[-1]


class LeanStatements:
    """One psycopg connection's statements, sent past its cursor (the module)."""

    __slots__ = ("_pos", "_prepared", "_rows", "_tx", "pgconn", "raw", "rowcount")

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.pgconn = raw.pgconn
        self._tx = Transformer(raw)
        self._prepared: dict[tuple[bytes, Any], bytes] = {}
        self._rows: list[tuple[Any, ...]] = []
        self._pos = 0
        self.rowcount = -1

    def execute(self, sql: bytes, params: Any = ()) -> LeanStatements:
        """Run `sql` (placeholders `$1`, `$2` …) with `params`; read it with `fetchone`,
        `fetchall` or `rowcount` before the next statement."""
        pgconn = self.pgconn
        values: Any = None
        types: Any = None
        formats: Any = None
        if params:
            tx = self._tx
            values = tx.dump_sequence(params, [PyFormat.AUTO] * len(params))
            types, formats = tx.types, tx.formats
        key = (sql, types)
        name = self._prepared.get(key)
        prepare = name is None and len(self._prepared) < MAX_PREPARED
        if prepare:
            name = f"_manyi_{len(self._prepared)}".encode()
        begin = not self.raw.autocommit and pgconn.transaction_status == _IDLE
        try:
            if begin:
                answers = self._begun(sql, name, prepare, values, types, formats)
                if prepare and answers[1].status in _OK:
                    self._prepared[key] = name  # type: ignore[assignment]
                result = _last_or_error(self.raw, answers)
            else:
                if prepare:
                    pgconn.send_prepare(name, sql, param_types=types)
                    _answered(self.raw)
                    self._prepared[key] = name  # type: ignore[assignment]
                self._send(sql, name, values, types, formats)
                result = _answered(self.raw)
        except errors.InvalidSqlStatementName:  # dropped on the server (DEALLOCATE, DISCARD)
            self._prepared.clear()  # prepared again by the next unit; this one fails
            raise
        return self._loaded(result)

    def _send(self, sql: bytes, name: bytes | None, values: Any, types: Any, formats: Any) -> None:
        if name is None:
            self.pgconn.send_query_params(sql, values, param_types=types, param_formats=formats)
        else:
            self.pgconn.send_query_prepared(name, values, param_formats=formats)

    def _begun(
        self,
        sql: bytes,
        name: bytes | None,
        prepare: bool,
        values: Any,
        types: Any,
        formats: Any,
    ) -> list[Any]:
        """BEGIN, the statement's preparing if it is new, and the statement sent in one write
        (libpq's pipeline mode, one Sync after them): one round trip where there were two. A
        failed one fails those after it (the server skips them to the Sync). Every answer up to
        the Sync is read and returned: BEGIN's, the preparing's if sent, the statement's."""
        pgconn, raw = self.pgconn, self.raw
        pgconn.enter_pipeline_mode()
        try:
            pgconn.send_query_params(b"BEGIN", None)
            if prepare:
                pgconn.send_prepare(name, sql, param_types=types)
            self._send(sql, name, values, types, formats)
            pgconn.pipeline_sync()
            answers: list[Any] = raw.wait(execute(pgconn))  # BEGIN's, up to its end
            if prepare:
                answers += raw.wait(fetch_many(pgconn))
            answers += raw.wait(fetch_many(pgconn))  # the statement's
            raw.wait(fetch_many(pgconn))  # the Sync
        except BaseException:
            with suppress(Exception):  # results left unread on a lost connection: it is dropped
                pgconn.exit_pipeline_mode()
            raise
        pgconn.exit_pipeline_mode()
        return answers

    def _loaded(self, result: Any) -> LeanStatements:
        if result.status == _TUPLES:
            self._tx.set_pgresult(result)
            self._rows = self._tx.load_rows(0, result.ntuples, tuple)
            self.rowcount = result.ntuples
        else:
            self._rows = []
            self.rowcount = result.command_tuples or 0
        self._pos = 0
        return self

    def fetchone(self) -> tuple[Any, ...] | None:
        if self._pos < len(self._rows):
            self._pos += 1
            return self._rows[self._pos - 1]
        return None

    def fetchall(self) -> list[tuple[Any, ...]]:
        rows, self._pos = self._rows[self._pos :], len(self._rows)
        return rows
