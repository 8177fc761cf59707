"""Misconduct cases (issue 18): cases, sanctions, accountable parties, bulletins.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05 00:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import manyi.db

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    t = "misconduct_cases"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("origin_ref", sa.String(length=120), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("unit_path", sa.String(length=400), nullable=False),
        sa.Column("happened_on", sa.Date(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("investigation_due_on", sa.Date(), nullable=False),
        sa.Column("investigator_id", sa.Integer(), nullable=True),
        sa.Column("notes", manyi.db.EncryptedText("misconduct_cases.notes"), nullable=False),
        sa.Column("findings", manyi.db.EncryptedText("misconduct_cases.findings"), nullable=False),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.Column("dismissal_reason", sa.Text(), nullable=False),
        sa.Column("rectification_task_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("investigating_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("findings_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sanctioned_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finalised_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("dismissed_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        _fk(t, "staff_id", "staff"),
        _fk(t, "unit_id", "units"),
        _fk(t, "investigator_id", "staff"),
        _fk(t, "opened_by_id", "staff"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
    )
    op.create_index("ix_misconduct_cases_scope", t, ["unit_path", "state", "id"])
    op.create_index("ix_misconduct_cases_staff", t, ["staff_id", "state"])

    t = "misconduct_sanctions"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("removes_star", sa.Boolean(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=True),
        _fk(t, "case_id", "misconduct_cases"),
        _fk(t, "staff_id", "staff"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
    )
    op.create_index(op.f("ix_misconduct_sanctions_case_id"), t, ["case_id"])
    op.create_index("ix_misconduct_sanctions_staff", t, ["staff_id", "removes_star"])

    t = "misconduct_parties"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("unit_name", sa.String(length=100), nullable=False),
        _fk(t, "case_id", "misconduct_cases"),
        _fk(t, "staff_id", "staff"),
        _fk(t, "unit_id", "units"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
    )
    op.create_index(op.f("ix_misconduct_parties_case_id"), t, ["case_id"])

    t = "misconduct_bulletins"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("scope_unit_id", sa.Integer(), nullable=False),
        sa.Column("scope_path", sa.String(length=400), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("names_shown", sa.Boolean(), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("issued_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        _fk(t, "case_id", "misconduct_cases"),
        _fk(t, "scope_unit_id", "units"),
        _fk(t, "issued_by_id", "staff"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
    )
    op.create_index(op.f("ix_misconduct_bulletins_case_id"), t, ["case_id"])
    op.create_index("ix_misconduct_bulletins_scope", t, ["scope_path", "id"])


def downgrade() -> None:
    op.drop_table("misconduct_bulletins")
    op.drop_table("misconduct_parties")
    op.drop_table("misconduct_sanctions")
    op.drop_table("misconduct_cases")
