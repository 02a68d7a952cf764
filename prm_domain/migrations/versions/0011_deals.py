"""deals: the vendor's direct pipeline (accounts, opportunities), deal registrations, their
conflict-check index, tier policies and signed webhooks

Revision ID: 0011_deals
Revises: 0010_mdf
Create Date: 2026-11-29

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import prm_domain.base

# revision identifiers, used by Alembic.
revision: str = "0011_deals"
down_revision: str | Sequence[str] | None = "0010_mdf"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "crm_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("owner", sa.String(length=120), nullable=False),
        sa.Column("stage", sa.String(length=40), nullable=False),
        sa.Column("created_at", prm_domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_account")),
        sa.UniqueConstraint("name_key", name=op.f("uq_crm_account_name_key")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_crm_account_domain"), "crm_account", ["domain"], unique=False)
    op.create_table(
        "deal_match_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=260), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal_match_key")),
    )
    op.create_index(op.f("ix_deal_match_key_key"), "deal_match_key", ["key"], unique=False)
    op.create_table(
        "deal_webhook",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", prm_domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal_webhook")),
    )
    op.create_table(
        "deal_tier_policy",
        sa.Column("tier_id", sa.Integer(), nullable=False),
        sa.Column("auto_approve", sa.Boolean(), nullable=False),
        sa.Column("protection_days", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tier_id"],
            ["tier.id"],
            name=op.f("fk_deal_tier_policy_tier_id_tier"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tier_id", name=op.f("pk_deal_tier_policy")),
    )
    op.create_table(
        "opportunity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("stage", sa.String(length=40), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("created_at", prm_domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["crm_account.id"],
            name=op.f("fk_opportunity_account_id_crm_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunity")),
    )
    op.create_index(op.f("ix_opportunity_account_id"), "opportunity", ["account_id"], unique=False)
    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("webhook_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.Column("body", sa.String(length=20000), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("delivered_at", prm_domain.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("created_at", prm_domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["deal_webhook.id"],
            name=op.f("fk_webhook_delivery_webhook_id_deal_webhook"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_delivery")),
        sa.UniqueConstraint("webhook_id", "event_id", name=op.f("uq_webhook_delivery_webhook_id")),
    )
    op.create_index(
        op.f("ix_webhook_delivery_webhook_id"), "webhook_delivery", ["webhook_id"], unique=False
    )
    op.create_table(
        "deal_registration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("company", sa.String(length=200), nullable=False),
        sa.Column("contact_name", sa.String(length=120), nullable=False),
        sa.Column("contact_email", sa.String(length=254), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("products", sa.JSON(), nullable=False),
        sa.Column(
            "estimated_value", prm_domain.base.ExactDecimal(precision=14, scale=2), nullable=False
        ),
        sa.Column("expected_close", sa.Date(), nullable=False),
        sa.Column("notes", sa.String(length=2000), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "approved",
                "rejected",
                "expired",
                "won",
                "lost",
                name="dealstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("stage", sa.String(length=40), nullable=False),
        sa.Column("conflicts", sa.JSON(), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("decision_reason", sa.String(length=500), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", prm_domain.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("protected_until", sa.Date(), nullable=True),
        sa.Column("reminders_sent", sa.JSON(), nullable=False),
        sa.Column("extension_status", sa.String(length=16), nullable=False),
        sa.Column("extension_reason", sa.String(length=500), nullable=False),
        sa.Column("created_at", prm_domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", prm_domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_deal_registration_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user_account.id"],
            name=op.f("fk_deal_registration_decided_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partner.id"],
            name=op.f("fk_deal_registration_partner_id_partner"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal_registration")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_deal_registration_flagged"), "deal_registration", ["flagged"], unique=False
    )
    op.create_index(
        op.f("ix_deal_registration_partner_id"), "deal_registration", ["partner_id"], unique=False
    )
    op.create_index(
        op.f("ix_deal_registration_status"), "deal_registration", ["status"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_deal_registration_status"), table_name="deal_registration")
    op.drop_index(op.f("ix_deal_registration_partner_id"), table_name="deal_registration")
    op.drop_index(op.f("ix_deal_registration_flagged"), table_name="deal_registration")
    op.drop_table("deal_registration")
    op.drop_index(op.f("ix_webhook_delivery_webhook_id"), table_name="webhook_delivery")
    op.drop_table("webhook_delivery")
    op.drop_index(op.f("ix_opportunity_account_id"), table_name="opportunity")
    op.drop_table("opportunity")
    op.drop_table("deal_tier_policy")
    op.drop_table("deal_webhook")
    op.drop_index(op.f("ix_deal_match_key_key"), table_name="deal_match_key")
    op.drop_table("deal_match_key")
    op.drop_index(op.f("ix_crm_account_domain"), table_name="crm_account")
    op.drop_table("crm_account")
