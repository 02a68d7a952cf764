"""channels and publications: where and when partners' campaign posts are published

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
PUBLICATION_STATES = ("scheduled", "publishing", "published", "failed", "skipped")


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
    op.create_table(
        "publication",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=True),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("enrolment_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column(
            "state",
            sa.Enum(*PUBLICATION_STATES, name="publicationstate", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("due_at", prm_domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", prm_domain.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claimed_at", prm_domain.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("published_at", prm_domain.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("external_url", sa.String(length=500), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("created_at", prm_domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", prm_domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["channel.id"],
            name=op.f("fk_publication_channel_id_channel"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partner.id"],
            name=op.f("fk_publication_partner_id_partner"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publication")),
        sa.UniqueConstraint("key", name=op.f("uq_publication_key")),
        sqlite_autoincrement=True,
    )
    for column in ("partner_id", "channel_id", "campaign_id", "enrolment_id"):
        op.create_index(op.f(f"ix_publication_{column}"), "publication", [column], unique=False)
    op.create_index("ix_publication_state_due_at", "publication", ["state", "due_at"])


def downgrade() -> None:
    op.drop_table("publication")
    op.drop_index(op.f("ix_channel_partner_id"), table_name="channel")
    op.drop_table("channel")
