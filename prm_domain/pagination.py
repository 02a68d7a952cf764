from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, Table, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.util import find_tables

from prm_domain import changes
from prm_domain.errors import ValidationError

T = TypeVar("T")

MAX_PER_PAGE = 200
# Far beyond any real list; keeps OFFSET within the databases' 64-bit integer.
MAX_PAGE = 1_000_000


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def count(session: Session, stmt: Select[Any]) -> int:
    """The value of a count query; in a web process, kept until a table it reads changes.

    A list's total is the costly part of its page (every matching row counted, where the page
    reads a few rows in an index's order and stops); the same total asked again, by the same
    person or by anyone whose query is the same (a partner's audience, filters and all), is
    answered from memory while its tables' change tokens (prm_domain.changes) stay the same.
    A count over a table that is not watched for changes is always run."""
    clock = changes.clock_of(session)
    if clock is None:
        return session.scalar(stmt) or 0
    cache_key = stmt._generate_cache_key()  # SQLAlchemy's own key: the SQL's shape + values
    tables = _tables(cache_key.key, stmt) if cache_key is not None else None
    if cache_key is None or tables is None:
        return session.scalar(stmt) or 0
    bound = [p.effective_value for p in cache_key.bindparams]
    if any(isinstance(v, dt.date) for v in bound):
        # Asked at a moment ("live now"): the same statement is never asked again.
        return session.scalar(stmt) or 0
    if changes.pending(session.connection()) & set(tables):
        # This transaction changed what it counts: its total is its own (and may be undone).
        return session.scalar(stmt) or 0
    values = repr(bound)
    return clock.remember(
        ("count", cache_key.key, values),
        clock.tokens(session, tables),
        lambda: session.scalar(stmt) or 0,
    )


_TABLES: dict[Any, tuple[str, ...] | None] = {}


def _tables(shape: Any, stmt: Select[Any]) -> tuple[str, ...] | None:
    """The tables a statement reads (subqueries and correlated EXISTS included), or None if
    one of them is not watched; per statement shape, found once."""
    if shape not in _TABLES:
        found = find_tables(stmt, check_columns=True)
        names = {t.name for t in found if isinstance(t, Table)}
        _TABLES[shape] = tuple(sorted(names)) if names <= changes.WATCHED else None
    return _TABLES[shape]


def paginate(
    session: Session,
    stmt: Select[Any],
    *,
    page: int = 1,
    per_page: int = 50,
    count_stmt: Select[Any] | None = None,
) -> Page[Any]:
    """One page of ``stmt`` and the number of its rows (counted over ``count_stmt`` when given:
    the same rows, in a form that suits counting them all rather than reading a page)."""
    problems = {}
    if not 1 <= page <= MAX_PAGE:
        problems["page"] = f"must be between 1 and {MAX_PAGE}"
    if not 1 <= per_page <= MAX_PER_PAGE:
        problems["per_page"] = f"must be between 1 and {MAX_PER_PAGE}"
    if problems:
        raise ValidationError.for_fields(problems)
    counted = (count_stmt if count_stmt is not None else stmt).order_by(None)
    total = count(session, select(func.count()).select_from(counted.subquery()))
    items = list(session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).unique())
    return Page(items=items, total=total, page=page, per_page=per_page)
