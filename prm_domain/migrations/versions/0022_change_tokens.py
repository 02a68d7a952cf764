"""change tokens: what cached answers (embed content, list totals) are keyed on

Revision ID: 0022_change_tokens
Revises: 0021_scale_indexes
Create Date: 2026-11-29

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0022_change_tokens"
down_revision: str | Sequence[str] | None = "0021_scale_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "change_token",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_change_token")),
    )


def downgrade() -> None:
    op.drop_table("change_token")
