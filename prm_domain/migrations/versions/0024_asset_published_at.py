"""asset published_at index: a dashboard's "new in the library" reads the newest published

Revision ID: 0024_asset_published_at
Revises: 0023_asset_tags_gin
Create Date: 2026-11-30

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0024_asset_published_at"
down_revision: str | Sequence[str] | None = "0023_asset_tags_gin"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_asset_published_at_id", "asset", ["published_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_asset_published_at_id", table_name="asset")
