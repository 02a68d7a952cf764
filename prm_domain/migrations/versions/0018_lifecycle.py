"""lifecycle: invitations to set a first password (an approved application's first user)

Revision ID: 0018_lifecycle
Revises: 0017_tiers
Create Date: 2026-11-29 18:45:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import prm_domain.base

# revision identifiers, used by Alembic.
revision: str = "0018_lifecycle"
down_revision: str | Sequence[str] | None = "0017_tiers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "user_invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", prm_domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", prm_domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", prm_domain.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_user_invitation_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_user_invitation_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_invitation")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_invitation_token_hash")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_user_invitation_user_id"), "user_invitation", ["user_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_user_invitation_user_id"), table_name="user_invitation")
    op.drop_table("user_invitation")
