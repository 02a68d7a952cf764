"""audience entries: content audiences mirrored as rows, matched in SQL with an index

Revision ID: 0016_audience
Revises: 0014_campaigns
Create Date: 2026-11-29

"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0016_audience"
down_revision: str | Sequence[str] | None = "0014_campaigns"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DIMENSIONS = {
    "audience_tier_ids": "tier",
    "audience_regions": "region",
    "audience_partner_types": "type",
    "audience_verticals": "vertical",
}
TARGETS = {"asset": "asset", "syndicated_item": "item"}


def upgrade() -> None:
    op.create_table(
        "audience_entry",
        sa.Column("target_type", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=80), nullable=False),
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("target_dims", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("target_type", "target_id", "tag", name=op.f("pk_audience_entry")),
    )
    op.create_index("ix_audience_entry_target_type_tag", "audience_entry", ["target_type", "tag"])
    for table in TARGETS:
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("audience_dims", sa.Integer(), nullable=False, server_default="0")
            )
    # The mirror of what is there already (the same rule as prm_domain.models.audience).
    bind = op.get_bind()
    entry = sa.table(
        "audience_entry",
        sa.column("target_type"),
        sa.column("target_id"),
        sa.column("tag"),
        sa.column("dimension"),
        sa.column("target_dims"),
    )
    for table, target_type in TARGETS.items():
        columns = ", ".join(DIMENSIONS)
        for row in bind.execute(sa.text(f"SELECT id, {columns} FROM {table}")).mappings():  # noqa: S608
            lists = {}
            for field in DIMENSIONS:
                value = row[field]
                lists[field] = json.loads(value) if isinstance(value, str) else (value or [])
            dims = sum(1 for v in lists.values() if v)
            if not dims:
                continue
            bind.execute(
                sa.text(f"UPDATE {table} SET audience_dims = :dims WHERE id = :id"),  # noqa: S608
                {"dims": dims, "id": row["id"]},
            )
            tags = {
                (DIMENSIONS[field], f"{DIMENSIONS[field]}:{v}")
                for field, values in lists.items()
                for v in values
            }
            bind.execute(
                sa.insert(entry),
                [
                    {
                        "target_type": target_type,
                        "target_id": row["id"],
                        "tag": t,
                        "dimension": d,
                        "target_dims": dims,
                    }
                    for d, t in sorted(tags)
                ],
            )


def downgrade() -> None:
    for table in TARGETS:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("audience_dims")
    op.drop_table("audience_entry")
