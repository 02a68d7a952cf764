"""paginate(): totals, slices, bounds."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from prm_domain.errors import ValidationError
from prm_domain.models import Tier
from prm_domain.pagination import MAX_PAGE, MAX_PER_PAGE, Page, paginate


@pytest.fixture
def ranks(make_tier: Callable[..., Tier]) -> list[int]:
    return [make_tier(rank=r).rank for r in (5, 1, 4, 2, 3)]


def stmt():  # type: ignore[no-untyped-def]
    return select(Tier).where(Tier.rank <= 5).order_by(Tier.rank)


def test_slices_and_total(session: Session, ranks: list[int]) -> None:
    pages = [paginate(session, stmt(), page=n, per_page=2) for n in (1, 2, 3, 4)]
    assert [[t.rank for t in p.items] for p in pages] == [[1, 2], [3, 4], [5], []]
    assert {p.total for p in pages} == {5}
    assert pages[0].pages == 3
    assert (pages[2].page, pages[2].per_page) == (3, 2)


def test_defaults(session: Session, ranks: list[int]) -> None:
    page = paginate(session, stmt())
    assert (page.page, page.per_page, page.total, len(page.items)) == (1, 50, 5, 5)


def test_pages_property() -> None:
    assert Page(items=[], total=0, page=1, per_page=10).pages == 1
    assert Page(items=[], total=10, page=1, per_page=10).pages == 1
    assert Page(items=[], total=11, page=1, per_page=10).pages == 2


@pytest.mark.parametrize(
    ("page", "per_page", "fields"),
    [
        (0, 10, {"page"}),
        (-1, 10, {"page"}),
        (MAX_PAGE + 1, 10, {"page"}),
        (10**20, 10, {"page"}),  # would overflow OFFSET on both databases
        (1, 0, {"per_page"}),
        (1, MAX_PER_PAGE + 1, {"per_page"}),
        (0, 0, {"page", "per_page"}),
    ],
)
def test_bounds(session: Session, page: int, per_page: int, fields: set[str]) -> None:
    with pytest.raises(ValidationError) as exc:
        paginate(session, stmt(), page=page, per_page=per_page)
    assert set(exc.value.fields) == fields


def test_largest_allowed_page_is_empty_not_an_error(session: Session, ranks: list[int]) -> None:
    page = paginate(session, stmt(), page=MAX_PAGE, per_page=MAX_PER_PAGE)
    assert page.items == [] and page.total == 5
