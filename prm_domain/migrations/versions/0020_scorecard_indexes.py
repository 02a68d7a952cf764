"""scorecard indexes: a partner's leads, offers and downloads of a period

The scorecards read each partner's rows of a period (``partner_id`` and a date); the
single-column ``partner_id`` indexes made every page read a partner's whole history. Lead
state and offer outcome are index columns too, so their filters need no table row.

Revision ID: 0020_scorecard_indexes
Revises: 0019_scorecards
Create Date: 2026-11-29

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0020_scorecard_indexes"
down_revision: str | Sequence[str] | None = "0019_scorecards"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_lead_partner_id_created_at_state", "lead", ["partner_id", "created_at", "state"]),
    (
        "ix_lead_offer_partner_id_offered_at_outcome",
        "lead_offer",
        ["partner_id", "offered_at", "outcome"],
    ),
    ("ix_asset_download_partner_id_at", "asset_download", ["partner_id", "at"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
