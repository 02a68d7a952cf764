"""Change tokens: a value per watched table that every committed write to the table replaces.

An answer computed from some tables (an embed's content, a list's total) stays right for as long
as those tables' tokens stay the same, so it can be kept until then, not for a guessed number of
seconds: a vendor's change reaches partner websites at once, and content nobody changes is read
from the database once instead of once per few seconds per web process.

How a write is seen: the engine watches every statement its connections send (ORM flushes, bulk
``update()``/``delete()``, raw SQL alike) for INSERT, UPDATE or DELETE on a watched table, and at
that transaction's COMMIT writes new tokens for those tables as its last statement, inside the
transaction: a reader that sees the new data sees the new token with it, and one that sees the old
token sees the old data. The tokens are random, not counts: two transactions that each start from
the same state (a test's rolled-back transaction and the next one, a restored backup) can never
reach the same token with different data. The write happens only at COMMIT, after every other
statement of the transaction, so the one row lock it takes is held for the commit alone and can
never be part of a deadlock.

Not seen: writes made outside the product (psql by hand) and a migration's data changes (the
migration command replaces every token at its end instead). Caches still bound their age.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import Any, TypeVar, cast

from sqlalchemy import Engine, Select, Table, event, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.util import find_tables

# The tables whose writes are tracked: those that cached answers read. A cache may only key on
# watched tables (``tokens`` refuses others), so an answer can never outlive a write it missed.
WATCHED: frozenset[str] = frozenset(
    {
        # What partners see of the vendor's content, and embeds show.
        "asset",
        "asset_version",
        "audience_entry",
        "syndicated_item",
        "partner",
        "tier",
        "brand_kit",
        "embed",
        # Lead lists.
        "lead",
        # Whether a partner signed the current data processing addendum: asked by every
        # request that reaches leads (prm_domain.access.status.dpa_signed).
        "dpa_version",
        "dpa_signature",
    }
)

_PENDING = "cobrand.changes.pending"  # on Connection.info: watched tables written, uncommitted
_READY = "cobrand.changes.ready"  # on Connection.info: the database has the table
_OFF = "cobrand.changes.off"  # on Connection.info: not tracked (the migration run)
# The written table: INSERT INTO / UPDATE [ONLY] / DELETE FROM [ONLY] / MERGE INTO / TRUNCATE
# [TABLE] [ONLY], schema-qualified or not, quoted or not.
_WRITE = re.compile(
    r"\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM|MERGE\s+INTO|TRUNCATE(?:\s+TABLE)?)"
    r"(?:\s+ONLY)?\s+(?:\"?\w+\"?\.)?\"?(\w+)\"?",
    re.IGNORECASE,
)


def watch(engine: Engine) -> None:
    """Track the engine's writes to watched tables (``prm_domain.database.make_engine`` does)."""
    event.listen(engine, "before_cursor_execute", _seen)
    event.listen(engine, "commit", _commit)
    event.listen(engine, "rollback", _forget)


@contextmanager
def paused(connection: Any) -> Iterator[None]:
    """No tracking on ``connection`` meanwhile (the migration run: the table may not exist
    yet). ``Connection.info`` lives with the pooled connection, hence the clean-up."""
    connection.info[_OFF] = True
    try:
        yield
    finally:
        connection.info.pop(_OFF, None)
        connection.info.pop(_PENDING, None)


def _seen(conn: Any, _cursor: Any, statement: str, _params: Any, _ctx: Any, _many: bool) -> None:
    head = statement.lstrip()[:6].upper()
    if head == "SELECT" and "UPDATE" not in statement and "DELETE" not in statement:
        return  # the hot path: a read (FOR UPDATE locks, it does not write)
    tables: set[str] = set()
    for verb, table in _WRITE.findall(statement):
        # Rows go away only by DELETE (or TRUNCATE, MERGE): only then does the database change
        # the rows that refer to them on its own.
        if verb[0].upper() in "DTM":
            tables |= _reaches(table.lower())
        else:
            tables.add(table.lower())
    tables &= WATCHED
    if tables and not conn.info.get(_OFF):
        conn.info.setdefault(_PENDING, set()).update(tables)


def written(session: Session, tables: Iterable[str]) -> bool:
    """Whether the session's open transaction changed any of ``tables``, counting what it holds
    unflushed: a query would flush that first (autoflush), and so does this."""
    if session.autoflush and (session.new or session.dirty or session.deleted):
        session.flush()
    return bool(pending(session.connection()) & set(tables))


def pending(conn: Any) -> frozenset[str]:
    """The watched tables ``conn``'s open transaction has written so far."""
    return frozenset(conn.info.get(_PENDING, ()))


_REACH: dict[str, frozenset[str]] = {}


def _reaches(table: str) -> frozenset[str]:
    """The watched tables a deletion from ``table`` may change: itself, and those whose rows the
    database deletes or updates on its own when a referenced row goes (ON DELETE CASCADE or
    SET NULL: deleting an embed clears ``lead.embed_id`` with no UPDATE of lead), followed on."""
    if table not in _REACH:
        import prm_domain.models  # noqa: F401 - every table on the metadata (lazily: a cycle)
        from prm_domain.base import Base

        followers: dict[str, set[str]] = {}
        for child in Base.metadata.tables.values():
            for fk in child.foreign_key_constraints:
                if (fk.ondelete or "").upper() in ("CASCADE", "SET NULL"):
                    followers.setdefault(fk.referred_table.name, set()).add(child.name)
        found, todo = set(), [table]
        while todo:
            name = todo.pop()
            if name not in found:
                found.add(name)
                todo.extend(followers.get(name, ()))
        _REACH[table] = frozenset(found & WATCHED)
    return _REACH[table]


def _commit(conn: Any) -> None:
    tables = conn.info.pop(_PENDING, None)
    if tables and _ready(conn):
        # Through the driver: SQLAlchemy is committing this connection and runs no more of its
        # own statements on it. Names come from WATCHED only; the tokens are hex.
        write_tokens(conn.connection.dbapi_connection, tables)
        _invalidate_clocks()
        _committing.tokens = True


def _ready(conn: Any) -> bool:
    """Whether the database has the tokens' table (one that is not migrated yet has not);
    asked once per pooled connection, until it has."""
    if conn.info.get(_READY):
        return True
    sql = (
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'change_token'"
        if conn.dialect.name == "sqlite"
        else "SELECT to_regclass('change_token') IS NOT NULL"
    )
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute(sql)
        row = cursor.fetchone()
    finally:
        cursor.close()
    found = bool(row and row[0])
    if found:
        conn.info[_READY] = True
    return found


def publish_pending(conn: Any) -> None:
    """Write the tokens for what ``conn`` has written so far, inside its transaction.

    For a test harness whose sessions "commit" by releasing a savepoint inside one outer
    transaction that is never committed (tests/conftest.py): there, a release is the commit."""
    _commit(conn)


def _forget(conn: Any) -> None:
    if conn.invalidated:
        # The connection was lost (the server went away): its info is gone with it, and
        # asking for it would raise in the middle of the rollback that cleans up.
        return
    conn.info.pop(_PENDING, None)


def write_tokens(dbapi_connection: Any, tables: Iterable[str]) -> None:
    rows = ", ".join(
        f"('{name}', '{secrets.token_hex(8)}')" for name in sorted(set(tables) & WATCHED)
    )
    if not rows:
        return
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(
            f"INSERT INTO change_token (name, token) VALUES {rows} "  # noqa: S608 - see above
            "ON CONFLICT (name) DO UPDATE SET token = excluded.token"
        )
    finally:
        cursor.close()


def replace_all(engine: Engine) -> None:
    """New tokens for every watched table (after migrations, which are not tracked)."""
    with engine.begin() as conn, paused(conn):
        write_tokens(conn.connection.dbapi_connection, WATCHED)


def read_tokens(session: Session, tables: Iterable[str]) -> tuple[str, ...]:
    """The current tokens of ``tables`` (in the order given), read through ``session``."""
    names = list(tables)
    _check(names)
    if not _ready(session.connection()):
        # A database not migrated yet: tokens that never match, so nothing is kept.
        return tuple(secrets.token_hex(8) for _ in names)
    rows = session.execute(text("SELECT name, token FROM change_token"))
    found: dict[str, str] = {name: token for name, token in rows}
    return tuple(found.get(name, "") for name in names)


T = TypeVar("T")
MAX_REMEMBERED = 4096


class ChangeClock:
    """One process's memory of the tokens, read at most every ``check_seconds``.

    Lets a web process answer from its caches without asking the database on each request; a
    commit in this process makes the next read ask at once, and other processes' commits are
    seen within ``check_seconds``. Thread-safe: the snapshot is replaced whole."""

    def __init__(self, check_seconds: float = 1.0) -> None:
        self.check_seconds = check_seconds
        self._snapshot: tuple[float, dict[str, str]] = (float("-inf"), {})
        self._invalidated_at = float("-inf")
        self._lock = threading.Lock()
        self._memo: OrderedDict[Any, tuple[tuple[str, ...], Any]] = OrderedDict()
        _CLOCKS.add(self)

    def fresh(self, tables: Iterable[str]) -> tuple[str, ...] | None:
        """The tokens if the memory is recent enough to use without a query, else None."""
        read_at, known = self._snapshot
        if time.monotonic() - read_at >= self.check_seconds:
            return None
        return tuple(known.get(name, "") for name in tables)

    def tokens(self, session: Session, tables: Iterable[str]) -> tuple[str, ...]:
        names = list(tables)
        _check(names)
        known = self.fresh(names)
        if known is not None:
            return known
        started = time.monotonic()
        values = dict(zip(_ALL, read_tokens(session, _ALL), strict=True))
        with self._lock:
            # Read while a commit of this process went on: what was read may be the old state.
            if self._invalidated_at < started:
                self._snapshot = (started, values)
        return tuple(values[name] for name in names)

    def remember(
        self,
        key: Any,
        tokens: tuple[str, ...],
        compute: Callable[[], T],
        seen: Callable[[], tuple[str, ...]],
    ) -> T:
        """``compute()``, kept under ``key`` while the tokens of what it read stay the same:
        answered from memory when ``tokens`` (the process's) match what it was kept under.

        ``seen``: the tokens as the computing transaction sees them, read before computing. The
        process's tokens may be newer than what a transaction that read earlier sees (SQLite
        fixes a transaction's snapshot at its first read): an answer computed from the older
        data is kept under the older tokens, so it is never taken for the newer state."""
        found = self._memo.get(key)
        if found is not None and found[0] == tokens:
            with suppress(KeyError):  # let go by another thread meanwhile
                self._memo.move_to_end(key)  # when full, the longest unasked go first
            return cast(T, found[1])
        kept_under = seen()
        value = compute()
        self._memo[key] = (kept_under, value)
        with suppress(KeyError):  # a key computed again is as recent as a new one
            self._memo.move_to_end(key)
        # Bounded (every entry is one query away), least recently asked first: answers many
        # share (a library's categories, an embed's content) outlive one person's dashboard
        # count or a one-off search.
        while len(self._memo) > MAX_REMEMBERED:
            try:
                self._memo.popitem(last=False)
            except KeyError:
                break
        return value

    def invalidate(self) -> None:
        with self._lock:
            self._invalidated_at = time.monotonic()
            self._snapshot = (float("-inf"), {})


_ALL = sorted(WATCHED)
_CLOCKS: weakref.WeakSet[ChangeClock] = weakref.WeakSet()
_committing = threading.local()


def _invalidate_clocks() -> None:
    for clock in list(_CLOCKS):
        clock.invalidate()


@event.listens_for(Session, "after_commit")
def _after_session_commit(_session: Session) -> None:
    # Once more after the commit itself: a read of another thread between the tokens' write
    # and the commit saw the old ones (``_commit`` runs just before the COMMIT).
    if getattr(_committing, "tokens", False):
        _committing.tokens = False
        _invalidate_clocks()


def _check(names: Iterable[str]) -> None:
    unknown = set(names) - WATCHED
    if unknown:
        raise ValueError(f"not watched for changes: {sorted(unknown)}")


CLOCK_KEY = "cobrand.changes.clock"  # on Session.info (app/db.py puts the web's clock there)


def clock_of(session: Session) -> ChangeClock | None:
    """The web's clock when ``session`` is one of its sessions (app/db.py), else None."""
    clock = session.info.get(CLOCK_KEY)
    return clock if isinstance(clock, ChangeClock) else None


def kept(
    session: Session,
    purpose: str,
    stmt: Select[*tuple[Any, ...]],
    compute: Callable[[], T],
    params: Mapping[str, Any] | None = None,
    *,
    fixed_moments: bool = False,
) -> T:
    """``compute()``, the answer to a read-only ``stmt``; in a web process (a session with a
    clock), kept until a table the statement reads changes.

    For answers that read many rows and change rarely: a list's total, the categories a
    partner's library offers. Keyed on the statement's SQL and values (SQLAlchemy's cache key)
    and ``purpose``, so anyone asking the same question shares the answer. Computed afresh: a
    statement over a table that is not watched, one bound to a moment (a datetime: "live
    now"), and one over a table the open transaction wrote (its answer is its own).

    ``params``: the values of a statement built once with ``bindparam`` placeholders (what
    ``compute`` executes it with); they are part of the key like the statement's own values."""
    clock = clock_of(session)
    if clock is None:
        return compute()
    cache_key = stmt._generate_cache_key()
    tables = _tables_read(cache_key.key, stmt) if cache_key is not None else None
    if cache_key is None or tables is None:
        return compute()
    values = dict(params or {})
    bound = [values.get(p.key, p.effective_value) for p in cache_key.bindparams]
    if any(p.required and p.key not in values for p in cache_key.bindparams):
        # A placeholder with no value given would key every caller's answer alike.
        raise ValueError(f"kept({purpose!r}): a placeholder of the statement has no value")
    moving = (
        v
        for p, v in zip(cache_key.bindparams, bound, strict=True)
        if not (fixed_moments and p.key in values)
    )
    if any(isinstance(v, dt.date) for v in moving):
        return compute()
    if written(session, tables):
        return compute()
    return clock.remember(
        (purpose, _SHAPES.setdefault(cache_key.key, cache_key.key), repr(bound)),
        clock.tokens(session, tables),
        compute,
        lambda: read_tokens(session, tables),
    )


_TABLES_READ: dict[Any, tuple[str, ...] | None] = {}
# One copy of each statement shape for the kept answers' keys: statements built apart (each
# page of a list) have equal shapes, and each would otherwise keep its own (kilobytes).
_SHAPES: dict[Any, Any] = {}


def _tables_read(shape: Any, stmt: Select[*tuple[Any, ...]]) -> tuple[str, ...] | None:
    """The tables a statement reads (subqueries and correlated EXISTS included), or None if
    one of them is not watched; per statement shape, found once."""
    if shape not in _TABLES_READ:
        found = find_tables(stmt, check_columns=True)
        names = {t.name for t in found if isinstance(t, Table)}
        _TABLES_READ[shape] = tuple(sorted(names)) if names <= WATCHED else None
    return _TABLES_READ[shape]
