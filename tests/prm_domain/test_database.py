"""The Postgres pool after the server dropped a connection, and how JSON columns are read
(prm_domain/database.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from prm_domain.database import make_engine
from tests import requirements


def _engine() -> Engine:
    url = requirements.need_env("TEST_DATABASE_URL", "Postgres server")
    return make_engine(url, pool_size=1, max_overflow=0)


def _kill(pid: int) -> None:
    """End a connection's server process from another connection, as a server restart or an
    administrator would."""
    admin = make_engine(requirements.need_env("TEST_DATABASE_URL", "Postgres server"))
    with admin.connect() as conn:
        assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()


def test_a_connection_the_server_dropped_is_replaced_before_a_request_gets_it() -> None:
    engine = _engine()
    with engine.connect() as conn:
        first = conn.scalar(text("SELECT pg_backend_pid()"))
    _kill(first)
    with Session(engine) as session:  # used a moment ago, dead now: tested and replaced
        second = session.scalar(text("SELECT pg_backend_pid()"))
    assert second != first
    engine.dispose()


def test_a_request_whose_connection_dies_midway_fails_and_the_next_one_works() -> None:
    """The request in flight gets the error; its clean-up must not raise on top of it (the
    change tracker's rollback hook once did, on the lost connection), and the pool recovers."""
    engine = _engine()
    with Session(engine) as session, pytest.raises(OperationalError):
        _kill(session.scalar(text("SELECT pg_backend_pid()")))
        session.scalar(text("SELECT 1"))
    with Session(engine) as session:
        assert session.scalar(text("SELECT 1")) == 1
    engine.dispose()


def test_json_columns_are_read_fast_and_odd_values_as_written() -> None:
    from prm_domain.database import json_loads

    assert json_loads(b'{"tags": ["a", "b"], "n": 1}') == {"tags": ["a", "b"], "n": 1}
    # The standard library writes NaN and reads integers of any size; orjson refuses both.
    nan = json_loads("[NaN]")[0]
    assert nan != nan
    assert json_loads(str(2**70)) == 2**70
    with pytest.raises(ValueError):
        json_loads("{not json")
    assert make_engine("sqlite://").dialect._json_deserializer is json_loads  # type: ignore[attr-defined]


# -- BEGIN before the first write (make_engine on psycopg) ---------------------------------


def _status(session: Session) -> str:
    raw = session.connection().connection.driver_connection
    return raw.info.transaction_status.name  # type: ignore[union-attr]


def _other_sees(engine: Engine, sql: str) -> object:
    with engine.connect() as other:
        return other.scalar(text(sql))


@pytest.fixture
def scratch() -> Iterator[Engine]:
    """A table of its own in its own schema (tests run in parallel on one database)."""
    import uuid

    url = requirements.need_env("TEST_DATABASE_URL", "Postgres server")
    schema = f"d_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        conn.execute(text(f'CREATE TABLE "{schema}".t (id int PRIMARY KEY, n int)'))
        conn.execute(text(f'INSERT INTO "{schema}".t VALUES (1, 0)'))
    engine = make_engine(url, connect_args={"options": f"-c search_path={schema}"})
    yield engine
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def test_a_unit_that_only_reads_opens_no_transaction(scratch: Engine) -> None:
    with Session(scratch) as session:
        assert session.scalar(text("SELECT n FROM t WHERE id = 1")) == 0
        assert _status(session) == "IDLE"  # no BEGIN went out, so no ROLLBACK need follow


def test_writes_after_reads_are_one_transaction_and_roll_back_together(scratch: Engine) -> None:
    with Session(scratch) as session:
        session.scalar(text("SELECT n FROM t WHERE id = 1"))
        session.execute(text("UPDATE t SET n = 1 WHERE id = 1"))
        assert _status(session) == "INTRANS"
        session.execute(text("INSERT INTO t VALUES (2, 2)"))
        assert _other_sees(scratch, "SELECT count(*) FROM t") == 1  # nothing committed yet
        session.rollback()
    assert _other_sees(scratch, "SELECT n FROM t WHERE id = 1") == 0
    with Session(scratch) as session:
        session.execute(text("UPDATE t SET n = 5 WHERE id = 1"))
        session.commit()
    assert _other_sees(scratch, "SELECT n FROM t WHERE id = 1") == 5


@pytest.mark.parametrize(
    "lock",
    [
        "SELECT n FROM t WHERE id = 1 FOR UPDATE",
        "SELECT n FROM t WHERE id = 1 for no key update",
        "SELECT pg_advisory_xact_lock(4242)",
        "SELECT pg_try_advisory_xact_lock(4242)",
    ],
)
def test_a_lock_taken_by_a_select_is_held_until_the_end(scratch: Engine, lock: str) -> None:
    with Session(scratch) as session:
        session.execute(text(lock))
        assert _status(session) == "INTRANS"
        held = _other_sees(
            scratch,
            "SELECT count(*) FROM pg_locks WHERE granted AND pid <> pg_backend_pid() "
            "AND (locktype = 'advisory' OR mode IN ('RowShareLock', 'ExclusiveLock'))",
        )
        assert held
    assert _status_after_close(scratch) == "IDLE"


def _status_after_close(engine: Engine) -> str:
    with Session(engine) as session:
        session.scalar(text("SELECT 1"))
        return _status(session)


def test_a_savepoint_or_a_server_side_cursor_as_the_first_statement_works(
    scratch: Engine,
) -> None:
    with Session(scratch) as session:
        with session.begin_nested():
            session.execute(text("UPDATE t SET n = 7 WHERE id = 1"))
        session.commit()
    assert _other_sees(scratch, "SELECT n FROM t WHERE id = 1") == 7
    with scratch.connect() as conn:
        rows = conn.execution_options(stream_results=True).execute(text("SELECT id FROM t"))
        assert [r[0] for r in rows] == [1]


def test_a_statement_with_two_parts_runs_in_a_transaction(scratch: Engine) -> None:
    """SQL without values goes to the server as one string: a read in front of a write must
    not carry the write out of the transaction."""
    with Session(scratch) as session:
        session.connection().exec_driver_sql("SELECT 1; UPDATE t SET n = 3 WHERE id = 1")
        assert _status(session) == "INTRANS"
        session.rollback()
    assert _other_sees(scratch, "SELECT n FROM t WHERE id = 1") == 0


def test_the_read_check_is_kept_per_statement_not_per_in_list(scratch: Engine) -> None:
    """IN lists of every length are one compiled statement: the check is not kept per text."""
    from sqlalchemy import bindparam, column, select, table

    from prm_domain import database

    t = table("t", column("id"))
    stmt = select(t.c.id).where(t.c.id.in_(bindparam("ids", expanding=True)))
    before = len(database._PLAIN)
    with Session(scratch) as session:
        for n in range(1, 60):
            session.execute(stmt, {"ids": list(range(1, n + 1))}).all()
        assert _status(session) == "IDLE"
    assert len(database._PLAIN) - before <= 1


def test_a_column_type_changed_by_a_migration_costs_one_request(scratch: Engine) -> None:
    """Reads outside a transaction keep psycopg's prepared statements for the connection's
    life; another connection's ALTER COLUMN ... TYPE makes such a statement fail on it. The pool
    takes that for a lost connection: one request fails, the next ones work."""
    for _ in range(8):  # past psycopg's prepare_threshold
        with Session(scratch) as session:
            assert session.scalar(text("SELECT n FROM t WHERE id = :i"), {"i": 1}) == 0
            schema = session.scalar(text("SELECT current_schema()"))
    url = requirements.need_env("TEST_DATABASE_URL", "Postgres server")
    migration = make_engine(url, connect_args={"options": f"-c search_path={schema}"})
    with migration.begin() as conn:  # a release's migration, from another process
        conn.execute(text("ALTER TABLE t ALTER COLUMN n TYPE bigint"))
    migration.dispose()
    failures = 0
    for _ in range(5):
        try:
            with Session(scratch) as session:
                assert session.scalar(text("SELECT n FROM t WHERE id = :i"), {"i": 1}) == 0
        except Exception:  # counted, whatever it is
            failures += 1
    assert failures <= 1, f"{failures} of 5 requests failed after the migration"
