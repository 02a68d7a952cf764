"""lead routing: vendor leads, routing rules, offers, the pool and the lead state machine

Revision ID: 0012_lead_routing
Revises: 0011_deals
Create Date: 2026-11-29

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import prm_domain.base

# revision identifiers, used by Alembic.
revision: str = "0012_lead_routing"
down_revision: str | Sequence[str] | None = "0011_deals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = prm_domain.base.UTCDateTime


def _state(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=32)


def upgrade() -> None:
    op.create_table(
        "lead_routing_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("countries", sa.JSON(), nullable=False),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("partner_types", sa.JSON(), nullable=False),
        sa.Column("verticals", sa.JSON(), nullable=False),
        sa.Column("required_certifications", sa.JSON(), nullable=False),
        sa.Column("tier_ids", sa.JSON(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("rr_last_partner_id", sa.Integer(), nullable=True),
        sa.Column("rr_seq", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_routing_rule")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("lead_routing_rule") as batch:
        batch.create_index(batch.f("ix_lead_routing_rule_position"), ["position"], unique=False)

    # Website leads stored so far are their partner's own: accepted (the server default).
    with op.batch_alter_table("lead") as batch:
        batch.alter_column("partner_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(
            sa.Column(
                "state",
                _state("leadstate", "pool", "assigned", "accepted", "working", "converted", "lost"),
                server_default="accepted",
                nullable=False,
            )
        )
        batch.add_column(
            sa.Column("region", sa.String(length=8), server_default="", nullable=False)
        )
        batch.add_column(
            sa.Column("vertical", sa.String(length=80), server_default="", nullable=False)
        )
        batch.add_column(sa.Column("accept_by", UTC(timezone=True), nullable=True))
        batch.add_column(sa.Column("state_changed_at", UTC(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("lost_reason", sa.String(length=500), server_default="", nullable=False)
        )
        batch.add_column(sa.Column("converted_deal_id", sa.Integer(), nullable=True))
        batch.create_index(batch.f("ix_lead_state"), ["state"], unique=False)
        batch.create_index(batch.f("ix_lead_accept_by"), ["accept_by"], unique=False)

    op.create_table(
        "lead_offer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column(
            "outcome",
            _state("offeroutcome", "pending", "accepted", "declined", "expired", "claimed"),
            nullable=False,
        ),
        sa.Column("offered_at", UTC(timezone=True), nullable=False),
        sa.Column("decided_at", UTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["lead.id"], name=op.f("fk_lead_offer_lead_id_lead"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partner.id"],
            name=op.f("fk_lead_offer_partner_id_partner"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["lead_routing_rule.id"],
            name=op.f("fk_lead_offer_rule_id_lead_routing_rule"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_offer")),
    )
    with op.batch_alter_table("lead_offer") as batch:
        batch.create_index(batch.f("ix_lead_offer_lead_id"), ["lead_id"], unique=False)
        batch.create_index(batch.f("ix_lead_offer_partner_id"), ["partner_id"], unique=False)


def downgrade() -> None:
    op.drop_table("lead_offer")
    # Pool leads belong to nobody: a partner-only schema cannot keep them.
    op.execute("DELETE FROM lead WHERE partner_id IS NULL")
    with op.batch_alter_table("lead") as batch:
        batch.drop_index(batch.f("ix_lead_accept_by"))
        batch.drop_index(batch.f("ix_lead_state"))
        for column in (
            "converted_deal_id",
            "lost_reason",
            "state_changed_at",
            "accept_by",
            "vertical",
            "region",
            "state",
        ):
            batch.drop_column(column)
        batch.alter_column("partner_id", existing_type=sa.Integer(), nullable=False)
    op.drop_table("lead_routing_rule")
