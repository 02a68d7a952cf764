"""campaigns: campaigns, items, enrolments, contacts; partners' time zones

Revision ID: 0014_campaigns
Revises: 0010_channels
Create Date: 2026-11-29

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import prm_domain.base
from prm_domain.timezones import COUNTRY_ZONES

# revision identifiers, used by Alembic.
revision: str = "0014_campaigns"
down_revision: str | Sequence[str] | None = "0010_channels"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = prm_domain.base.UTCDateTime(timezone=True)


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=32)


def upgrade() -> None:
    op.create_table(
        "campaign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("goal", sa.String(length=1000), nullable=False),
        sa.Column("audience_tier_ids", sa.JSON(), nullable=False),
        sa.Column("audience_regions", sa.JSON(), nullable=False),
        sa.Column("audience_partner_types", sa.JSON(), nullable=False),
        sa.Column("audience_verticals", sa.JSON(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("mdf_fund_id", sa.Integer(), nullable=True),
        sa.Column("status", _enum("campaignstatus", "draft", "launched", "paused"), nullable=False),
        sa.Column("launched_at", UTC, nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_campaign_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_campaign_status"), "campaign", ["status"], unique=False)
    op.create_table(
        "campaign_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", _enum("campaignitemkind", "social", "email", "asset"), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("preheader", sa.String(length=200), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=True),
        sa.Column("editable", sa.JSON(), nullable=False),
        sa.Column("max_length", sa.Integer(), nullable=True),
        sa.Column("day", sa.Integer(), nullable=True),
        sa.Column("time", sa.String(length=5), nullable=True),
        sa.Column("at", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["asset.id"],
            name=op.f("fk_campaign_item_asset_id_asset"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_campaign_item_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_item")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_campaign_item_campaign_id"), "campaign_item", ["campaign_id"], unique=False
    )
    op.create_table(
        "enrolment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            _enum("enrolmentstatus", "invited", "approved", "opted_out", "paused"),
            nullable=False,
        ),
        sa.Column("channel_ids", sa.JSON(), nullable=False),
        sa.Column("item_ids", sa.JSON(), nullable=True),
        sa.Column("edits", sa.JSON(), nullable=False),
        sa.Column("invited_at", UTC, nullable=False),
        sa.Column("approved_at", UTC, nullable=True),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["approved_by_id"],
            ["user_account.id"],
            name=op.f("fk_enrolment_approved_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_enrolment_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partner.id"],
            name=op.f("fk_enrolment_partner_id_partner"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolment")),
        sa.UniqueConstraint("campaign_id", "partner_id", name=op.f("uq_enrolment_campaign_id")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_enrolment_campaign_id"), "enrolment", ["campaign_id"], unique=False)
    op.create_index(op.f("ix_enrolment_partner_id"), "enrolment", ["partner_id"], unique=False)
    op.create_table(
        "contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("consent_source", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            _enum("contactstatus", "subscribed", "unsubscribed", "bounced"),
            nullable=False,
        ),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("unsubscribed_at", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partner.id"],
            name=op.f("fk_contact_partner_id_partner"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact")),
        sa.UniqueConstraint("partner_id", "email", name=op.f("uq_contact_partner_id")),
        sa.UniqueConstraint("token", name=op.f("uq_contact_token")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_contact_partner_id"), "contact", ["partner_id"], unique=False)
    # SQLite rebuilds the table for these changes: keep its AUTOINCREMENT (ids never reused).
    with op.batch_alter_table(
        "publication", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_publication_campaign_id_campaign"),
            "campaign",
            ["campaign_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_publication_item_id_campaign_item"),
            "campaign_item",
            ["item_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_publication_enrolment_id_enrolment"),
            "enrolment",
            ["enrolment_id"],
            ["id"],
            ondelete="CASCADE",
        )
    with op.batch_alter_table("partner", schema=None) as batch_op:
        batch_op.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))
    partner = sa.table("partner", sa.column("country", sa.String), sa.column("timezone", sa.String))
    op.execute(partner.update().values(timezone="UTC"))
    for country, zone in COUNTRY_ZONES.items():
        op.execute(partner.update().where(partner.c.country == country).values(timezone=zone))
    with op.batch_alter_table(
        "partner", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.alter_column("timezone", existing_type=sa.String(length=64), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("partner", schema=None) as batch_op:
        batch_op.drop_column("timezone")
    with op.batch_alter_table("publication", schema=None) as batch_op:
        batch_op.drop_constraint("fk_publication_enrolment_id_enrolment", type_="foreignkey")
        batch_op.drop_constraint("fk_publication_item_id_campaign_item", type_="foreignkey")
        batch_op.drop_constraint("fk_publication_campaign_id_campaign", type_="foreignkey")
    op.drop_table("contact")
    op.drop_table("enrolment")
    op.drop_table("campaign_item")
    op.drop_table("campaign")
