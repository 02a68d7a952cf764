"""The Postgres pool after the server dropped a connection, and how JSON columns are read
(prm_domain/database.py)."""

from __future__ import annotations

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
