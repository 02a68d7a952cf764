"""SQLite files at the head of the migrations, without running the migrations for each one.

Tests that serve the app from a file of its own (each request thread with its own connection)
need a new, migrated database each; running every migration costs a second or two per file. The
test process migrates one file once and hands out copies of it: the same bytes the migrations
would write. The migrations themselves are tested from empty in
tests/prm_domain/test_schema_migrations.py, and the ``engine`` fixture still runs them.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from prm_domain.database import make_engine, upgrade

_template: Path | None = None


def _migrated_template() -> Path:
    global _template
    if _template is None:
        folder = Path(tempfile.mkdtemp(prefix="cobrand-head-"))
        atexit.register(shutil.rmtree, folder, True)
        path = folder / "head.db"
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        engine.dispose()
        # The last connection closed checkpoints the WAL into the file: the file is all of it.
        assert not path.with_name("head.db-wal").exists()
        _template = path
    return _template


def migrated_sqlite(path: Path) -> str:
    """Make ``path`` a SQLite database at the migrations' head; returns its URL."""
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_migrated_template(), path)
    return f"sqlite:///{path}"
