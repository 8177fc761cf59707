"""Personal data sealed at rest; keyed blind indexes in place of plain hashes.

Complainants' names, phone and ID numbers, e-mail and postal addresses, and the form values of
pre-fills, bundles, bundle items and corrections are sealed with AES-256-GCM (`manyi.sealed`)
under the data key of the environment this migration runs in (`MANYI_DATA_KEY`; the public
development key when it is unset, so set the bank's key before upgrading a real database).
Run the upgrade with the same key the application will use: rows sealed under a key the
application does not know cannot be opened.

The plain SHA-256 indexes become HMACs under `MANYI_BLIND_INDEX_PEPPER`: the person key is
recomputed from the ID or phone number, two new indexes (the phone's and the name's) keep the
exact search by phone and name, and the query-code and pre-fill-code hashes are keyed in place
(an HMAC of the stored SHA-256: the codes themselves were never stored, so complainants keep the
codes they were given). The upgrade says on the console how many rows it sealed, under which
key id. On PostgreSQL the sealed columns become TEXT (an envelope is longer than a phone
number, and is not JSON); SQLite does not enforce declared types and keeps them.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 21:00:00.000000
"""

import sys
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from manyi.config import load_settings
from manyi.personal import name_index, person_key, phone_index
from manyi.sealed import DataKeys

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Sealed text columns of complaints, with their type before this migration (for PostgreSQL).
COMPLAINANT = {
    "complainant_name": 100,
    "complainant_phone": 20,
    "complainant_id_number": 18,
    "complainant_email": 200,
    "complainant_address": 300,
}
# Sealed JSON columns: table → (key column, sealed columns).
FORM_VALUES = {
    "counter_prefills": ("id", ("form_values",)),
    "counter_bundles": ("id", ("form_values",)),
    "counter_bundle_items": ("id", ("item_values",)),
    "counter_corrections": ("id", ("old_value", "new_value")),
}
INDEXES = ("complainant_phone_index", "complainant_name_index")
EMPTY_JSON = ("{}", "[]")


def upgrade() -> None:
    with op.batch_alter_table("complaints") as batch_op:
        for name in INDEXES:
            batch_op.add_column(sa.Column(name, sa.String(length=64), nullable=True))
            batch_op.create_index(batch_op.f(f"ix_complaints_{name}"), [name], unique=False)
    if _postgresql():
        for name in COMPLAINANT:
            op.alter_column("complaints", name, type_=sa.Text())
        for table, (_, columns) in FORM_VALUES.items():
            for name in columns:
                op.alter_column(table, name, type_=sa.Text(), postgresql_using=f"{name}::text")
    keys = load_settings().data_keys
    sealed = _seal_complaints(keys) + sum(_seal_json(keys, t) for t in FORM_VALUES)
    _key_code_hashes(keys)
    if sealed:
        print(
            f"personal data: {sealed} values sealed with AES-256-GCM under data key "
            f"{keys.current_id}; person keys and code hashes are now keyed blind indexes",
            file=sys.stderr,
        )


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _seal_complaints(keys: DataKeys) -> int:
    columns = [sa.column(name, sa.Text) for name in (*COMPLAINANT, *INDEXES, "person_key")]
    table = sa.table("complaints", sa.column("id", sa.Integer), *columns)
    bind = op.get_bind()
    count = 0
    names = list(COMPLAINANT)
    for row in bind.execute(sa.select(table.c.id, *(table.c[n] for n in names))).all():
        plain = dict(zip(names, row[1:], strict=True))
        values: dict[str, str | None] = {
            name: keys.seal(text or "", f"complaints.{name}") for name, text in plain.items()
        }
        count += sum(1 for text in plain.values() if text)
        values["person_key"] = person_key(
            plain["complainant_id_number"], plain["complainant_phone"], keys=keys
        )
        values["complainant_phone_index"] = phone_index(plain["complainant_phone"], keys=keys)
        values["complainant_name_index"] = name_index(plain["complainant_name"], keys=keys)
        bind.execute(sa.update(table).where(table.c.id == row.id).values(**values))
    return count


def _seal_json(keys: DataKeys, name: str) -> int:
    key, columns = FORM_VALUES[name]
    table = sa.table(name, sa.column(key, sa.Integer), *(sa.column(c, sa.Text) for c in columns))
    bind = op.get_bind()
    count = 0
    for row in bind.execute(sa.select(table)).all():
        values = {}
        for column in columns:
            text = row._mapping[column]
            if text is None or text in EMPTY_JSON:
                continue  # nothing in it (and "{}" marks a blanked pre-fill)
            values[column] = keys.seal(text, f"{name}.{column}")
        if values:
            count += len(values)
            bind.execute(sa.update(table).where(table.c[key] == row._mapping[key]).values(values))
    return count


def _key_code_hashes(keys: DataKeys) -> None:
    """The stored SHA-256 of each code becomes its HMAC (see intake.query_code_hash)."""
    for name, column, purpose in (
        ("complaints", "query_code_hash", "query_code"),
        ("counter_prefills", "code_hash", "prefill_code"),
    ):
        table = sa.table(name, sa.column("id", sa.Integer), sa.column(column, sa.String))
        bind = op.get_bind()
        rows = bind.execute(sa.select(table).where(table.c[column].is_not(None))).all()
        for row in rows:
            keyed = keys.blind_index(purpose, row._mapping[column])
            bind.execute(sa.update(table).where(table.c.id == row.id).values({column: keyed}))


def downgrade() -> None:
    """Back to plaintext columns (opened with the keys of the environment). The code hashes
    stay keyed: an older manyi will not find complaints or pre-fills by their codes."""
    keys = load_settings().data_keys
    bind = op.get_bind()
    table = sa.table(
        "complaints", sa.column("id", sa.Integer), *(sa.column(n, sa.Text) for n in COMPLAINANT)
    )
    for row in bind.execute(sa.select(table)).all():
        values = {n: keys.open(row._mapping[n] or "", f"complaints.{n}") for n in COMPLAINANT}
        bind.execute(sa.update(table).where(table.c.id == row.id).values(values))
    for name, (key, columns) in FORM_VALUES.items():
        json_table = sa.table(
            name, sa.column(key, sa.Integer), *(sa.column(c, sa.Text) for c in columns)
        )
        for row in bind.execute(sa.select(json_table)).all():
            values = {}
            for column in columns:
                text = row._mapping[column]
                if text is not None and text not in EMPTY_JSON:
                    values[column] = keys.open(text, f"{name}.{column}")
            if values:
                where = json_table.c[key] == row._mapping[key]
                bind.execute(sa.update(json_table).where(where).values(values))
    if _postgresql():
        for name, length in COMPLAINANT.items():
            op.alter_column("complaints", name, type_=sa.String(length=length))
        for name, (_, columns) in FORM_VALUES.items():
            for column in columns:
                using = f"{column}::json"
                op.alter_column(name, column, type_=sa.JSON(), postgresql_using=using)
    # Not in batch mode: rebuilding complaints on SQLite would drop the table its timelines
    # cascade from. SQLite (3.35 on) drops a column in place.
    for name in INDEXES:
        op.drop_index(op.f(f"ix_complaints_{name}"), table_name="complaints")
        op.drop_column("complaints", name)
