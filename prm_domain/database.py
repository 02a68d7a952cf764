"""Engines, sessions and migrations."""

from __future__ import annotations

import json
import re
import sqlite3
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from psycopg.pq import TransactionStatus
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from prm_domain import changes

MIGRATIONS = Path(__file__).parent / "migrations"


def json_loads(data: str | bytes) -> Any:
    """JSON columns as Python values, read with orjson: a library page reads a few hundred of
    them (tags, audiences, a version's pages and zones), and the standard library's reader was a
    tenth of the page's work (bench/bench_scale.py)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        # What orjson refuses and the standard library reads (NaN and Infinity, integers beyond
        # 64 bits) can only come from values written before: read them as they were written.
        return json.loads(data)


def make_engine(url: str, *, busy_timeout: float = 5.0, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        # psycopg 3 is the driver we ship; plain "postgresql://" would ask for psycopg2.
        parsed = parsed.set(drivername="postgresql+psycopg")
    kwargs.setdefault("json_deserializer", json_loads)
    # Pre-ping: a connection the server closed (a restart, a failover) is replaced before a
    # request gets it. Tried instead: a ping only after 5 s idle, which saved a round trip per
    # request but failed the first request of each busy process after a restart (a 500).
    kwargs.setdefault("pool_pre_ping", parsed.get_backend_name() != "sqlite")
    deferred = parsed.drivername == "postgresql+psycopg" and "isolation_level" not in kwargs
    if deferred:
        kwargs["isolation_level"] = "AUTOCOMMIT"  # BEGIN before the first write (below)
    engine = create_engine(parsed, **kwargs)
    changes.watch(engine)
    if deferred:
        event.listen(engine, "before_cursor_execute", _begin_before_write)
    if parsed.drivername == "postgresql+psycopg":
        event.listen(engine, "handle_error", _stale_plan)
    if engine.dialect.name == "sqlite":
        milliseconds = int(busy_timeout * 1000)
        event.listen(engine, "connect", lambda c, r: _sqlite_pragmas(c, r, milliseconds))
        event.listen(engine, "begin", _sqlite_begin)
        event.listen(engine, "savepoint", _sqlite_savepoint)
        event.listen(engine, "do_execute", _sqlite_execute)
        event.listen(engine, "do_executemany", _sqlite_executemany)
        event.listen(engine, "do_execute_no_params", _sqlite_execute_no_params)
    return engine


# -- Postgres: BEGIN before the first write, not before the first read -----------------------
#
# A transaction costs two round trips of its own on psycopg (BEGIN, then COMMIT or ROLLBACK),
# and most units of work only read: a page is a handful of SELECTs, so those two were a tenth
# to a third of its time (bench/bench_scale.py). Under READ COMMITTED, Postgres's level and the
# one the domain is written for, each statement of a transaction already sees its own snapshot:
# a SELECT run outside one sees exactly what it would have seen inside. So the connection runs
# in autocommit and BEGIN goes out just before anything that is not a plain read: a write, DDL,
# a SAVEPOINT, a row or advisory lock (which a transaction must hold), a server-side cursor.
# From there on the unit is one transaction as before; psycopg's commit() and rollback() ask
# the server whether one is open, so a unit that only read sends neither.
# Only for psycopg 3: psycopg2 tracks its own BEGIN and would not commit one sent for it.

_NOT_A_PLAIN_READ = re.compile(
    r"\bFOR\s+(?:NO\s+KEY\s+UPDATE|UPDATE|KEY\s+SHARE|SHARE)\b"
    r"|advisory|nextval|setval|set_config|pg_notify|txid_current|pg_current_xact_id"
    r"|;",  # more than one statement (a query without values goes as one string)
    re.IGNORECASE,
)


def _begin_before_write(
    _conn: Any, cursor: Any, statement: str, _params: Any, context: Any, _many: bool
) -> None:
    raw = cursor.connection
    if raw.info.transaction_status != TransactionStatus.IDLE:
        return  # in a transaction already (or in a failed one, which must be rolled back)
    # A server-side cursor needs a transaction too.
    if getattr(cursor, "name", None) is not None or not _plain_read(statement, context):
        raw.execute("BEGIN")


# Per compiled statement (SQLAlchemy keeps them, a bounded number): searching a long statement
# costs more than its round trip, and the text itself differs with every length of an IN list.
_PLAIN: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


def _plain_read(statement: str, context: Any) -> bool:
    compiled = getattr(context, "compiled", None)
    if compiled is None:
        return _reads_only(statement)  # SQL handed to the driver as it is: checked each time
    found = _PLAIN.get(compiled)
    if found is None:
        # The compiled text, before IN lists are expanded; they add no statement.
        found = _PLAIN[compiled] = _reads_only(compiled.string)
    return found


def _reads_only(statement: str) -> bool:
    return statement.lstrip()[:6].upper() == "SELECT" and not _NOT_A_PLAIN_READ.search(statement)


def _stale_plan(context: Any) -> None:
    """A statement psycopg prepared on a pooled connection, whose columns a migration changed
    meanwhile (another connection's ALTER COLUMN ... TYPE), fails with "cached plan must not
    change result type" on that connection until it is closed. Taken for a lost connection, so
    the pool replaces its connections: one failed request per process, not all of them."""
    if "cached plan must not change result type" in str(context.original_exception):
        context.is_disconnect = True


# -- SQLite: parallel writers without "database is locked" -------------------------------------
#
# Transactions begin DEFERRED, so read-only units (most GETs, renders of 100 ms and more) never
# take SQLite's one write lock and run side by side. The catch is WAL's rule for a reader that
# then writes: its first write must upgrade the read snapshot to the write lock, and if another
# connection holds that lock or has committed since the snapshot, SQLite answers SQLITE_BUSY
# (SQLITE_BUSY_SNAPSHOT) at once, without consulting busy_timeout: ten parallel /r/<code>
# clicks gave eight 500s. So a transaction that has only read takes the lock as Postgres's
# READ COMMITTED would see it: its read part is rolled back (nothing written is undone),
# ``BEGIN IMMEDIATE`` waits its turn for the lock (busy_timeout applies to that), and the work
# goes on from a fresh snapshot. That happens
#   - at its first write, only when SQLite refused it (otherwise nothing changes);
#   - before its first SAVEPOINT (the domain's insert-or-use-theirs guards), which a rollback
#     could not keep, and before its first SELECT ... FOR UPDATE, which SQLite cannot express:
#     there the lock is what makes the read-change-write of a brand kit or job take turns.
# The domain is written for READ COMMITTED already (Postgres is the production database):
# counters are single UPDATEs, uniqueness is a constraint.
#
# Chosen over taking the lock up front for "writing" requests (a GET route that writes and was
# not marked, like the idle clock of a signed-in session, would regress; and a POST would hold
# the lock for its whole request), and over re-running views (rate-limit counters and the
# once-per-address click check live outside the transaction: a re-run would count them twice).
# What is still refused after busy_timeout is "database is locked": the web answers it with a
# 503 and Retry-After, in-process tasks run again (app/tasks.py).

_FRESH = "cobrand.sqlite_fresh"  # on connection.info: no statement ran since BEGIN
_LOCKED = "cobrand.sqlite_locked"  # this transaction holds the write lock (or wrote)
# Statements that neither write nor hold a savepoint; anything else counts as a write, so that
# a transaction that may hold changes is never rolled back to take the lock.
_READS = ("SELECT", "PRAGMA", "EXPLAIN", "BEGIN", "RELEASE", "ROLLBACK", "COMMIT", "END")


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")
    connection.info[_FRESH] = True
    connection.info[_LOCKED] = False


def _take_write_lock(connection: Any) -> None:
    raw = connection.connection.dbapi_connection
    raw.execute("ROLLBACK")  # only reads to undo: a transaction that wrote holds the lock
    raw.execute("BEGIN IMMEDIATE")  # waits up to busy_timeout for the writer before us
    connection.info[_FRESH] = False
    connection.info[_LOCKED] = True


def _sqlite_savepoint(connection: Any, _name: str) -> None:
    if connection.in_transaction() and not connection.info.get(_LOCKED, True):
        _take_write_lock(connection)


def _upgrading(cursor: Any, statement: str, context: Any, run: Callable[[], Any]) -> bool:
    conn: Any = context.root_connection if context is not None else None
    ours = conn is not None and conn.in_transaction() and not conn.info.get(_LOCKED, True)
    if ours and _for_update(context):
        _take_write_lock(conn)
    try:
        run()
    except sqlite3.OperationalError as exc:
        if not (ours and _lost_upgrade(exc, conn)):
            raise
        _take_write_lock(conn)
        run()
    if ours:
        conn.info[_FRESH] = False
        if not statement.lstrip()[:8].upper().startswith(_READS):
            conn.info[_LOCKED] = True
    return True  # executed here: SQLAlchemy must not run it again


def _for_update(context: Any) -> bool:
    statement = getattr(context.compiled, "statement", None)
    return getattr(statement, "_for_update_arg", None) is not None


def _lost_upgrade(exc: sqlite3.OperationalError, conn: Any) -> bool:
    """A write refused at once because this transaction had begun reading (see above)."""
    if getattr(exc, "sqlite_errorname", "") not in ("SQLITE_BUSY", "SQLITE_BUSY_SNAPSHOT"):
        return False
    # A transaction's first statement was already given busy_timeout by SQLite itself (trying
    # again would only wait twice); savepoints take the lock before they open, so one open here
    # means something unexpected: refuse rather than roll it away.
    return not conn.info.get(_FRESH, True) and not conn.in_nested_transaction()


def _sqlite_execute(cursor: Any, statement: str, parameters: Any, context: Any) -> bool:
    return _upgrading(cursor, statement, context, lambda: cursor.execute(statement, parameters))


def _sqlite_executemany(cursor: Any, statement: str, parameters: Any, context: Any) -> bool:
    return _upgrading(cursor, statement, context, lambda: cursor.executemany(statement, parameters))


def _sqlite_execute_no_params(cursor: Any, statement: str, context: Any) -> bool:
    return _upgrading(cursor, statement, context, lambda: cursor.execute(statement))


def is_locked(exc: BaseException) -> bool:
    """SQLite's "database is locked": another writer held the lock past busy_timeout."""
    orig = getattr(exc, "orig", exc)
    return isinstance(orig, sqlite3.OperationalError) and "database is locked" in str(orig)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any, busy_timeout_ms: int = 5000) -> None:
    # pysqlite opens transactions lazily and on its own terms, which breaks SAVEPOINT and
    # transactional DDL; SQLAlchemy's documented fix is to turn that off and emit BEGIN ourselves.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL lets the web process read while a worker thread writes; busy_timeout waits on locks
    # instead of failing at once with "database is locked".
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    cursor.close()


def make_sessionmaker(
    engine: Engine, clock: changes.ChangeClock | None = None
) -> sessionmaker[Any]:
    """Sessions of ``engine``; with ``clock``, they read change tokens through it (the web's)."""
    info = {changes.CLOCK_KEY: clock} if clock is not None else {}
    return sessionmaker(bind=engine, expire_on_commit=False, info=info)


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)
    if inspect(engine).has_table("change_token"):
        # Migrations change data unseen by the change tokens (prm_domain.changes): whatever
        # any cache keeps from before is let go.
        changes.replace_all(engine)
