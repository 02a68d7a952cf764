"""scale indexes: the orders that lists and embeds read at real size

Revision ID: 0021_scale_indexes
Revises: 0020_scorecard_indexes
Create Date: 2026-11-29

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0021_scale_indexes"
down_revision: str | Sequence[str] | None = "0020_scorecard_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The library's order (updated_at, id), newest first: a page reads the index and stops.
    op.create_index("ix_asset_updated_at_id", "asset", ["updated_at", "id"])
    # An embed's newest items of one kind: the index read backwards, stopped after a few.
    op.create_index("ix_syndicated_item_kind_id", "syndicated_item", ["kind", "id"])
    # An organisation's leads, newest first.
    op.create_index("ix_lead_partner_id_id", "lead", ["partner_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_lead_partner_id_id", table_name="lead")
    op.drop_index("ix_syndicated_item_kind_id", table_name="syndicated_item")
    op.drop_index("ix_asset_updated_at_id", table_name="asset")
