"""tiers: tier requirements as data, the grace before a demotion, the tier history

Revision ID: 0017_tiers
Revises: 0013_training
Create Date: 2026-11-29

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import prm_domain.base

# revision identifiers, used by Alembic.
revision: str = "0017_tiers"
down_revision: str | Sequence[str] | None = "0013_training"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tier_requirement",
        sa.Column("tier_id", sa.Integer(), nullable=False),
        sa.Column("min_revenue", prm_domain.base.ExactDecimal(14, 2), nullable=False),
        sa.Column("min_deals_won", sa.Integer(), nullable=False),
        sa.Column("min_certified", sa.JSON(), nullable=False),
        sa.Column("grace_days", sa.Integer(), nullable=False),
        sa.Column("updated_at", prm_domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tier_id"], ["tier.id"], name=op.f("fk_tier_requirement_tier_id_tier"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["user_account.id"],
            name=op.f("fk_tier_requirement_updated_by_id_user_account"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("tier_id", name=op.f("pk_tier_requirement")),
    )  # fmt: skip
    op.create_table(
        "tier_grace",
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("from_tier_id", sa.Integer(), nullable=False),
        sa.Column("to_tier_id", sa.Integer(), nullable=False),
        sa.Column("started_at", prm_domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", prm_domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partner.id"], name=op.f("fk_tier_grace_partner_id_partner"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["from_tier_id"], ["tier.id"], name=op.f("fk_tier_grace_from_tier_id_tier"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["to_tier_id"], ["tier.id"], name=op.f("fk_tier_grace_to_tier_id_tier"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("partner_id", name=op.f("pk_tier_grace")),
    )  # fmt: skip
    op.create_index(op.f("ix_tier_grace_ends_at"), "tier_grace", ["ends_at"])
    op.create_table(
        "tier_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("from_tier_id", sa.Integer(), nullable=True),
        sa.Column("to_tier_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_email", sa.String(length=254), nullable=False),
        sa.Column("at", prm_domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partner.id"], name=op.f("fk_tier_change_partner_id_partner"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["from_tier_id"], ["tier.id"], name=op.f("fk_tier_change_from_tier_id_tier"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["to_tier_id"], ["tier.id"], name=op.f("fk_tier_change_to_tier_id_tier"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["user_account.id"], name=op.f("fk_tier_change_actor_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tier_change")),
    )  # fmt: skip
    op.create_index(op.f("ix_tier_change_partner_id"), "tier_change", ["partner_id"])
    op.create_index(op.f("ix_tier_change_at"), "tier_change", ["at"])


def downgrade() -> None:
    op.drop_table("tier_change")
    op.drop_table("tier_grace")
    op.drop_table("tier_requirement")
