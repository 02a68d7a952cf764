"""The migrations build exactly the schema the models describe, on SQLite and on Postgres."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

import prm_domain.models  # noqa: F401 - registers every table
from prm_domain.base import Base
from prm_domain.database import alembic_config, make_engine, upgrade
from tests.conftest import drop_postgres_schema, postgres_engine
from tests.requirements import need_env


def _fresh(backend: str, tmp_path: Path) -> tuple[Engine, str | None]:
    if backend == "sqlite":
        return make_engine(f"sqlite:///{tmp_path / 'empty.db'}"), None
    need_env("TEST_DATABASE_URL", "Postgres to migrate")
    schema = f"m_{uuid.uuid4().hex[:12]}"
    return postgres_engine(schema), schema


@contextmanager
def _postgres_only_indexes_skipped() -> Iterator[None]:
    """Alembic cannot reflect expression indexes from SQLite, so it leaves the Postgres-only
    ones (Index.ddl_if) out of the comparison there, and says so; on Postgres it compares them."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore",
            message="autogenerate skipping metadata-specified expression-based index "
            "'ix_asset_tags_gin'; dialect 'sqlite'",
        )
        yield


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_upgrade_from_empty_matches_models(backend: str, tmp_path: Path) -> None:
    engine, schema = _fresh(backend, tmp_path)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            with _postgres_only_indexes_skipped():
                differences = compare_metadata(ctx, Base.metadata)
        assert differences == []
        assert set(inspect(engine).get_table_names()) >= set(Base.metadata.tables)
    finally:
        engine.dispose()
        if schema:
            drop_postgres_schema(schema)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_downgrade_to_base_and_up_again(backend: str, tmp_path: Path) -> None:
    engine, schema = _fresh(backend, tmp_path)
    try:
        upgrade(engine)
        command.downgrade(alembic_config(engine), "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(engine)
        assert set(inspect(engine).get_table_names()) >= set(Base.metadata.tables)
    finally:
        engine.dispose()
        if schema:
            drop_postgres_schema(schema)


def test_a_model_change_without_migration_is_noticed(tmp_path: Path) -> None:
    """The comparison above can fail: a column missing from the database is reported."""
    from sqlalchemy import Column, Integer, MetaData, Table

    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    upgrade(engine)
    extra = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(extra)
    Table("partner", extra, Column("not_migrated", Integer), extend_existing=True)
    with engine.connect() as conn, _postgres_only_indexes_skipped():
        differences = compare_metadata(MigrationContext.configure(conn), extra)
    engine.dispose()
    assert any(d[0] == "add_column" and d[3].name == "not_migrated" for d in differences)
