"""files: ids never reused on SQLite; what was removed from an uploaded template

Revision ID: 0006_files
Revises: 0003_syndication
Create Date: 2026-11-29

"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006_files"
down_revision: str | Sequence[str] | None = "0005_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Tables whose ids are kept in JSON lists or carried by links and sessions (see
# prm_domain.base.NO_ID_REUSE). Parents before children, so each rebuild finds its references.
NO_ID_REUSE = (
    "tier",
    "partner",
    "user_account",
    "api_token",
    "asset",
    "asset_version",
    "render_job",
    "syndicated_item",
    "embed",
)


def _rebuild(autoincrement: bool) -> None:
    # SQLite adds AUTOINCREMENT only at CREATE TABLE: batch mode copies each table into a new
    # one (env.py turns foreign keys off around it, so dropping the old one cascades nowhere).
    # The rows keep their ids; sqlite_sequence starts after the largest one.
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    for table in NO_ID_REUSE:
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
        ):
            pass
    broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:  # raised inside the migration's transaction, so nothing of it is kept
        raise RuntimeError(f"Rebuilding the tables broke references: {broken[:5]}")


def _drop_default_ports() -> None:
    # Embed hosts saved with ":443" or ":80" never matched an Origin (which omits default
    # ports); the app now stores them without, and so do the rows saved before.
    embed = sa.table("embed", sa.column("id", sa.Integer), sa.column("allowed_domains", sa.JSON))
    bind = op.get_bind()
    for embed_id, domains in bind.execute(sa.select(embed.c.id, embed.c.allowed_domains)).all():
        clean = sorted({re.sub(r":(?:80|443)$", "", d) for d in domains or []})
        if clean != domains:
            bind.execute(embed.update().where(embed.c.id == embed_id).values(allowed_domains=clean))


def upgrade() -> None:
    """Upgrade schema."""
    _drop_default_ports()
    with op.batch_alter_table("asset_version") as batch_op:
        # NULL on existing versions: they were never cleaned, so their renders check them.
        batch_op.add_column(sa.Column("removed_content", sa.JSON(), nullable=True))
    _rebuild(True)


def downgrade() -> None:
    """Downgrade schema."""
    _rebuild(False)
    with op.batch_alter_table("asset_version") as batch_op:
        batch_op.drop_column("removed_content")
