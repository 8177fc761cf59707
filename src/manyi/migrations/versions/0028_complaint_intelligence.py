"""Complaint intelligence (issue 19), shared schema: the appeal axis (诉求) and a complaint's
appeal, prominent-issue category, verdict and root-cause kind; the prominent-issue categories.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-05 03:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import manyi.db

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_AXES = "axis IN ('channel', 'business', 'cause')"
_NEW_AXES = "axis IN ('channel', 'business', 'cause', 'appeal')"

# The appeal axis as the taxonomy seeds it (complaints.domain.taxonomy._APPEALS, 2026-12-05).
# A bank whose categories are already stored gets these rows here; an empty table is seeded
# whole by the application on first use.
_APPEALS = [
    ("monetary", "资金类诉求", "Money"),
    ("monetary.refund", "退还款项或费用", "Refund of money or fees"),
    ("monetary.compensation", "赔偿损失", "Compensation for a loss"),
    ("monetary.waiver", "减免利息、费用或罚息", "Waiver of interest, fees or penalties"),
    ("correction", "更正或撤销业务、记录", "Correct or reverse a transaction or record"),
    ("correction.credit_report", "更正征信记录", "Correct a credit report"),
    ("contract", "变更或解除合同", "Change or end a contract"),
    ("explanation", "解释说明", "An explanation"),
    ("apology", "赔礼道歉", "An apology"),
    ("staff", "处理相关人员", "Action about the staff involved"),
    ("improvement", "改进服务或设施", "Better service or facilities"),
    ("other", "其他诉求", "Other appeals"),
]


def upgrade() -> None:
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.add_column(sa.Column("appeal_code", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("issue_code", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("root_cause_kind", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("verdict", sa.String(length=16), nullable=True))
    with op.batch_alter_table("complaint_categories", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_complaint_categories_axis"), type_="check")
        batch_op.create_check_constraint("axis", _NEW_AXES)
    bind = op.get_bind()
    stored = bind.execute(sa.text("SELECT COUNT(*) FROM complaint_categories")).scalar_one()
    if stored:
        categories = sa.table(
            "complaint_categories",
            sa.column("axis", sa.String),
            sa.column("code", sa.String),
            sa.column("parent_code", sa.String),
            sa.column("name_zh", sa.String),
            sa.column("name_en", sa.String),
            sa.column("sort_order", sa.Integer),
            sa.column("active", sa.Boolean),
        )
        op.bulk_insert(
            categories,
            [
                {
                    "axis": "appeal",
                    "code": code,
                    "parent_code": code.rsplit(".", 1)[0] if "." in code else None,
                    "name_zh": zh,
                    "name_en": en,
                    "sort_order": 1000 + i,
                    "active": True,
                }
                for i, (code, zh, en) in enumerate(_APPEALS)
            ],
        )
    op.create_table(
        "insight_issue_categories",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name_zh", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("examples", sa.JSON(), nullable=False),
        sa.Column("owner_department", sa.String(length=32), nullable=False),
        sa.Column("target_decline_pct", sa.Float(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("updated_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["staff.id"],
            name=op.f("fk_insight_issue_categories_updated_by_id_staff"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_insight_issue_categories")),
    )


def downgrade() -> None:
    op.drop_table("insight_issue_categories")
    op.execute("DELETE FROM complaint_categories WHERE axis = 'appeal'")
    with op.batch_alter_table("complaint_categories", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_complaint_categories_axis"), type_="check")
        batch_op.create_check_constraint("axis", _OLD_AXES)
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_column("verdict")
        batch_op.drop_column("root_cause_kind")
        batch_op.drop_column("issue_code")
        batch_op.drop_column("appeal_code")
