"""portal: what is new since a person's last visit, notifications of published assets

Revision ID: 0009_portal
Revises: 0003_syndication
Create Date: 2026-11-29

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import prm_domain.base

# revision identifiers, used by Alembic.
revision: str = "0009_portal"
down_revision: str | Sequence[str] | None = "0006_files"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(
            sa.Column("last_seen_at", prm_domain.base.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("asset") as batch:
        batch.add_column(
            sa.Column("published_at", prm_domain.base.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("notification") as batch:
        batch.add_column(sa.Column("dedupe_key", sa.String(length=120), nullable=True))
        batch.create_unique_constraint(
            batch.f("uq_notification_partner_id"), ["partner_id", "dedupe_key"]
        )
    # Assets published before this revision count as published when they were last changed.
    op.execute("UPDATE asset SET published_at = updated_at WHERE status = 'published'")


def downgrade() -> None:
    with op.batch_alter_table("notification") as batch:
        batch.drop_constraint(batch.f("uq_notification_partner_id"), type_="unique")
        batch.drop_column("dedupe_key")
    with op.batch_alter_table("asset") as batch:
        batch.drop_column("published_at")
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("last_seen_at")
