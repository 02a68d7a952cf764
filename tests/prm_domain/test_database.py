"""The Postgres pool: a connection that died while idle is replaced before a request gets it,
without a test round trip on every checkout (prm_domain/database.py)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session

from prm_domain.database import make_engine
from tests import requirements


def _engine(ping_after_idle: float) -> tuple[Engine, list[str]]:
    url = requirements.need_env("TEST_DATABASE_URL", "Postgres server")
    engine = make_engine(url, ping_after_idle=ping_after_idle, pool_size=1, max_overflow=0)
    sent: list[str] = []
    event.listen(
        engine,
        "before_cursor_execute",
        lambda _c, _cur, statement, *_a: sent.append(statement),
    )
    return engine, sent


def _kill_backend(engine: Engine) -> None:
    """End the pooled connection's server process from another connection, as a server restart
    or an administrator would."""
    with engine.connect() as conn:
        pid = conn.scalar(text("SELECT pg_backend_pid()"))
    url = requirements.need_env("TEST_DATABASE_URL", "Postgres server")
    admin = make_engine(url)
    with admin.connect() as conn:
        assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()


def _count_pings(engine: Engine) -> list[int]:
    """Every test query the pool sends (SQLAlchemy's ``do_ping``, still called through)."""
    pings: list[int] = []
    ping = engine.dialect.do_ping

    def counted(dbapi_connection: object) -> bool:
        pings.append(1)
        return ping(dbapi_connection)

    engine.dialect.do_ping = counted  # type: ignore[method-assign]
    return pings


def test_a_connection_used_a_moment_ago_is_handed_out_without_a_test_query() -> None:
    engine, sent = _engine(ping_after_idle=60)
    pings = _count_pings(engine)
    for _ in range(3):
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT 1")) == 1
    assert pings == [] and sent == ["SELECT 1"] * 3
    engine.dispose()


def test_a_connection_idle_for_longer_than_the_limit_is_tested_first() -> None:
    engine, _ = _engine(ping_after_idle=0.2)
    pings = _count_pings(engine)
    with engine.connect() as conn:
        conn.scalar(text("SELECT 1"))
    time.sleep(0.3)
    with engine.connect() as conn:
        conn.scalar(text("SELECT 1"))
    assert pings == [1]
    engine.dispose()


def test_a_connection_that_died_while_idle_is_replaced_before_use() -> None:
    engine, _ = _engine(ping_after_idle=0.2)
    with engine.connect() as conn:
        first = conn.scalar(text("SELECT pg_backend_pid()"))
    _kill_backend(engine)
    time.sleep(0.3)  # idle for longer than the limit: tested at checkout, found dead, replaced
    with engine.connect() as conn:
        second = conn.scalar(text("SELECT pg_backend_pid()"))
    assert second != first
    engine.dispose()


def test_a_dead_connection_used_at_once_fails_one_request_and_the_pool_recovers() -> None:
    from sqlalchemy.exc import OperationalError

    engine, _ = _engine(ping_after_idle=60)
    with engine.connect() as conn:
        conn.scalar(text("SELECT 1"))
    _kill_backend(engine)
    # Not tested (used a moment ago): the request in flight fails, as with any server restart...
    with Session(engine) as session, pytest.raises(OperationalError):
        session.scalar(text("SELECT 1"))
    # ...and the pool has dropped it: the next request works.
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
