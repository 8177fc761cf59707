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
  psycopg's cursor sends it;
- an error answered by the server raised as psycopg raises it (`errors.error_from_result`: the
  same classes, SQLSTATE and diagnostics), a lost connection as psycopg's `OperationalError`.

It answers what `driver_sql.Driver` reads of a cursor: `fetchone`, `fetchall`, `rowcount`.
It leans on two parts of psycopg that are not its documented API (`generators.execute` and
`Connection.wait`); `tests/integration/test_driver_sql.py` runs every kind of statement the
lobby sends through it, on PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from psycopg import errors, pq
from psycopg.adapt import PyFormat, Transformer
from psycopg.generators import execute

MAX_PREPARED = 200  # statements prepared on one connection; past them, sent unprepared
_OK = (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK)
_TUPLES = pq.ExecStatus.TUPLES_OK
_IDLE = pq.TransactionStatus.IDLE


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

    def _results(self) -> Any:
        """The last result of what was sent, or the first error among them raised."""
        results = self.raw.wait(execute(self.pgconn))
        for result in results:
            if result.status not in _OK:
                raise errors.error_from_result(result, encoding=self.raw.info.encoding)
        return results[-1]

    def execute(self, sql: bytes, params: Any = ()) -> LeanStatements:
        """Run `sql` (placeholders `$1`, `$2` …) with `params`; read it with `fetchone`,
        `fetchall` or `rowcount` before the next statement."""
        pgconn = self.pgconn
        if not self.raw.autocommit and pgconn.transaction_status == _IDLE:
            pgconn.send_query(b"BEGIN")
            self._results()
        values: Any = None
        types: Any = None
        formats: Any = None
        if params:
            tx = self._tx
            values = tx.dump_sequence(params, [PyFormat.AUTO] * len(params))
            types, formats = tx.types, tx.formats
        key = (sql, types)
        name = self._prepared.get(key)
        if name is None and len(self._prepared) < MAX_PREPARED:
            name = f"_manyi_{len(self._prepared)}".encode()
            pgconn.send_prepare(name, sql, param_types=types)
            self._results()
            self._prepared[key] = name
        try:
            return self._run(sql, name, values, types, formats)
        except errors.InvalidSqlStatementName:  # dropped on the server (DEALLOCATE, DISCARD)
            self._prepared.clear()  # prepared again by the next unit; this one fails
            raise

    def _run(
        self, sql: bytes, name: bytes | None, values: Any, types: Any, formats: Any
    ) -> LeanStatements:
        pgconn = self.pgconn
        if name is None:
            pgconn.send_query_params(sql, values, param_types=types, param_formats=formats)
        else:
            pgconn.send_query_prepared(name, values, param_formats=formats)
        result = self._results()
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
