"""Text-message alerts for waiting customers (issue 20): the tickets being watched.

Revision ID: 0039
Revises: 0036
Create Date: 2026-12-05 07:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import manyi.db

revision: str = "0039"
down_revision: str | None = "0036"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "reach_ticket_watches",
        sa.Column("id", BigId, nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("token", manyi.db.EncryptedText("reach_ticket_watches.token"), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("created_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("near_sent_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("called_sent_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["units.id"], name=op.f("fk_reach_ticket_watches_outlet_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["reach_contacts.id"],
            name=op.f("fk_reach_ticket_watches_contact_id_reach_contacts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reach_ticket_watches")),
    )
    op.create_index(
        "ix_reach_ticket_watches_open", "reach_ticket_watches", ["done_at", "created_at"]
    )


def downgrade() -> None:
    op.drop_table("reach_ticket_watches")
