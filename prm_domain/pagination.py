from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

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


def count(session: Session, stmt: Select[Any], params: Mapping[str, Any] | None = None) -> int:
    """The value of a count query; in a web process, kept until a table it reads changes.

    A list's total is the costly part of its page (every matching row counted, where the page
    reads a few rows in an index's order and stops); the same total asked again, by the same
    person or by anyone whose query is the same (a partner's audience, filters and all), is
    answered from memory while its tables' change tokens (prm_domain.changes) stay the same."""
    return changes.kept(session, "count", stmt, lambda: session.scalar(stmt, params) or 0, params)


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
    validate_page(page, per_page)
    counted = (count_stmt if count_stmt is not None else stmt).order_by(None)
    return paginate_prepared(
        session,
        stmt.limit(per_page).offset((page - 1) * per_page),
        select(func.count()).select_from(counted.subquery()),
        page=page,
        per_page=per_page,
    )


def validate_page(page: int, per_page: int) -> None:
    problems = {}
    if not 1 <= page <= MAX_PAGE:
        problems["page"] = f"must be between 1 and {MAX_PAGE}"
    if not 1 <= per_page <= MAX_PER_PAGE:
        problems["per_page"] = f"must be between 1 and {MAX_PER_PAGE}"
    if problems:
        raise ValidationError.for_fields(problems)


def paginate_prepared(
    session: Session,
    page_stmt: Select[Any],
    total_stmt: Select[Any],
    *,
    page: int,
    per_page: int,
    params: Mapping[str, Any] | None = None,
) -> Page[Any]:
    """``paginate`` with the statements built by the caller: the page's rows (limited and
    offset) and their total (a count); for lists that build them once and ask them often.
    ``params``: the values of the statements' placeholders (``bindparam``)."""
    total = count(session, total_stmt, params)
    items = list(session.scalars(page_stmt, params).unique())
    return Page(items=items, total=total, page=page, per_page=per_page)
