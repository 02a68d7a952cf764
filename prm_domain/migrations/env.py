"""Alembic environment: runs on the engine handed over in ``config.attributes``."""

from __future__ import annotations

from alembic import context

import prm_domain.models  # noqa: F401 - registers every table on the metadata
from prm_domain import changes
from prm_domain.base import Base

config = context.config
engine = config.attributes["engine"]

# Data changes of migrations are not tracked one by one (prm_domain.changes); the change
# tokens may not exist yet. database.upgrade replaces them all at the end instead.
with engine.connect() as connection, changes.paused(connection):
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # A batch rebuild drops the old table; with foreign keys on, SQLite would first delete
        # its rows and cascade into every child table. The pragma only takes effect outside a
        # transaction, so it goes to the driver before SQLAlchemy begins one. A migration that
        # rebuilds tables checks the references itself (PRAGMA foreign_key_check).
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
    try:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
            render_as_batch=sqlite,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    finally:
        if sqlite:
            # On SQLite each migration commits on its own; what is left open here is only
            # Alembic's reading of its version table (or a failed migration's remains).
            if connection.in_transaction():
                connection.rollback()
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")
