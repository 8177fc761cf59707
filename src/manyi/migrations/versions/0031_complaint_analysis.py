"""Complaint analysis (issue 19): two indexes that let PostgreSQL count a range of receipt, or
a scope's range, from the index alone (index-only scans; bench/complaint_stats.py).

Revision ID: 0031
Revises: 0028
Create Date: 2026-12-05 03:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0031"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What the analysis counts by (complaints/tables.py: ANALYSED_COLUMNS, 2026-12-05).
_COUNTED = [
    "responsible_unit_id",
    "business_code",
    "cause_code",
    "channel_code",
    "appeal_code",
    "issue_code",
    "intake",
    "verdict",
    "breached",
    "reopen_count",
]


def upgrade() -> None:
    op.create_index(
        "ix_complaints_analysis_received",
        "complaints",
        ["received_at"],
        postgresql_include=["responsible_unit_path", *_COUNTED],
    )
    op.create_index(
        "ix_complaints_analysis_scope",
        "complaints",
        ["responsible_unit_path", "received_at"],
        postgresql_ops={"responsible_unit_path": "varchar_pattern_ops"},
        postgresql_include=_COUNTED,
    )


def downgrade() -> None:
    op.drop_index("ix_complaints_analysis_scope", table_name="complaints")
    op.drop_index("ix_complaints_analysis_received", table_name="complaints")
