"""One SQLAlchemy session per request (or task), from the engine the config names."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from flask import Flask, current_app, g
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from prm_domain.changes import ChangeClock
from prm_domain.database import make_engine, make_sessionmaker


class Database:
    def __init__(self, app: Flask) -> None:
        self.engine = make_engine(
            app.config["DATABASE_URL"], busy_timeout=app.config.get("SQLITE_BUSY_TIMEOUT", 5.0)
        )
        # The web process's memory of the change tokens (prm_domain.changes), shared by its
        # sessions and the embed content's fast path.
        self.clock = ChangeClock(app.config.get("CHANGE_CHECK_SECONDS", 1.0))
        self.sessionmaker: sessionmaker[Any] = make_sessionmaker(self.engine, self.clock)
        app.extensions["cobrand.db"] = self
        app.teardown_appcontext(self._close)

    @contextmanager
    def held_session(self) -> Iterator[Session]:
        """A session that keeps one connection for its whole life: for a task that commits
        many short transactions (each would otherwise check a connection out of the pool). A
        sessionmaker bound to a connection already (the tests') is used as is."""
        bind = self.sessionmaker.kw.get("bind")
        if not isinstance(bind, Engine):
            with self.sessionmaker() as session:
                yield session
            return
        with bind.connect() as conn, self.sessionmaker(bind=conn) as session:
            yield session

    @staticmethod
    def _close(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()  # rolls back whatever a failed request left uncommitted


def init_app(app: Flask) -> Database:
    return Database(app)


def get_db(app: Flask | None = None) -> Database:
    return cast(Database, (app or current_app).extensions["cobrand.db"])  # extensions is untyped


def session() -> Session:
    if "db_session" not in g:
        g.db_session = get_db().sessionmaker()
    return cast(Session, g.db_session)  # g is untyped
