"""asset tags gin: the library's tag filter through an inverted index (Postgres)

Revision ID: 0023_asset_tags_gin
Revises: 0022_change_tokens
Create Date: 2026-11-29

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0023_asset_tags_gin"
down_revision: str | Sequence[str] | None = "0022_change_tokens"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Postgres only: SQLite has no inverted index (its filter reads json_each per row).
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_asset_tags_gin ON asset USING gin ((CAST(tags AS JSONB)))")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_asset_tags_gin", table_name="asset")
