"""Operating the database: backups and restores (SQLite's online backup API; PostgreSQL's own
tools, with advice), and the schema check that `manyi db check` prints and the web server
starts only after (`schema.require_current`). docs/operations.md (sections 9 and 10) is the
guide."""

from manyi.dbops.schema import (
    SchemaMismatch,
    SchemaUnreadable,
    read_state,
    redact,
    require_current,
)

__all__ = ["SchemaMismatch", "SchemaUnreadable", "read_state", "redact", "require_current"]
