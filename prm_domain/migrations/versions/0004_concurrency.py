"""concurrency: one lead per identical submission, one count per page view

Revision ID: 0004_concurrency
Revises: 0003_syndication
Create Date: 2026-11-29

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import prm_domain.base

# revision identifiers, used by Alembic.
revision: str = "0004_concurrency"
down_revision: str | Sequence[str] | None = "0003_syndication"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "embed_view_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("embed_id", sa.Integer(), nullable=False),
        sa.Column("page_view", sa.String(length=40), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("at", prm_domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["embed_id"],
            ["embed.id"],
            name=op.f("fk_embed_view_event_embed_id_embed"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_embed_view_event")),
        sa.UniqueConstraint(
            "embed_id", "page_view", "item_id", "kind", name=op.f("uq_embed_view_event_embed_id")
        ),
    )
    with op.batch_alter_table("embed_view_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_embed_view_event_at"), ["at"], unique=False)

    # Nullable: leads stored before have none, and NULLs never collide in a unique constraint.
    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dedupe_key", sa.String(length=80), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_lead_dedupe_key"), ["dedupe_key"])


def downgrade() -> None:
    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_lead_dedupe_key"), type_="unique")
        batch_op.drop_column("dedupe_key")

    with op.batch_alter_table("embed_view_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_embed_view_event_at"))

    op.drop_table("embed_view_event")
