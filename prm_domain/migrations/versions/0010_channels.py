"""channels: where partners' campaign posts are published

Revision ID: 0010_channels
Revises: 0009_portal
Create Date: 2026-11-29

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import prm_domain.base

# revision identifiers, used by Alembic.
revision: str = "0010_channels"
down_revision: str | Sequence[str] | None = "0009_portal"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("outbox", "linkedin", "x", "smtp", "webhook")
STATUSES = ("connected", "needs_reconnect", "disabled")


def upgrade() -> None:
    op.create_table(
        "channel",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(*KINDS, name="channelkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column(
            "status",
            sa.Enum(*STATUSES, name="channelstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("account", sa.String(length=500), nullable=False),
        sa.Column("secret", sa.LargeBinary(), nullable=True),
        sa.Column("token_expires_at", prm_domain.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("created_at", prm_domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", prm_domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partner.id"],
            name=op.f("fk_channel_partner_id_partner"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_channel_partner_id"), "channel", ["partner_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_channel_partner_id"), table_name="channel")
    op.drop_table("channel")
