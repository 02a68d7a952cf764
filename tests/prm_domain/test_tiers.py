"""Tier services: Decimal percentages stored exactly, unique names and ranks, vendor admins only."""

from __future__ import annotations

import decimal
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

from prm_domain import tiers
from prm_domain.enums import Role
from prm_domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from prm_domain.models import Tier, User


def values(**kw: Any) -> dict[str, Any]:
    return {"name": "Gold", "rank": 30, "mdf_share_percent": "2.50", "discount_percent": "0.1"} | kw


def test_percentages_stored_exactly(session: Session, make_user: Callable[..., User]) -> None:
    tier = tiers.create_tier(session, make_user(Role.VENDOR_ADMIN), values())
    session.flush()
    session.expire_all()
    stored = session.get(Tier, tier.id)
    assert stored is not None
    assert isinstance(stored.mdf_share_percent, decimal.Decimal)
    assert str(stored.mdf_share_percent) == "2.50"
    assert str(stored.discount_percent) == "0.10"
    assert (stored.description, stored.content_access) == ("", [])


@pytest.mark.parametrize("bad", [12.5, "12.345", "101", "-1", None])
def test_bad_percentages(bad: Any, session: Session, make_user: Callable[..., User]) -> None:
    with pytest.raises(ValidationError) as exc:
        tiers.create_tier(session, make_user(Role.VENDOR_ADMIN), values(discount_percent=bad))
    assert set(exc.value.fields) == {"discount_percent"}


def test_required_and_unknown(session: Session, make_user: Callable[..., User]) -> None:
    admin = make_user(Role.VENDOR_ADMIN)
    with pytest.raises(ValidationError) as exc:
        tiers.create_tier(session, admin, {"name": "x"})
    assert set(exc.value.fields) == {"rank", "mdf_share_percent", "discount_percent"}
    with pytest.raises(ValidationError) as exc:
        tiers.create_tier(session, admin, values(colour="gold"))
    assert exc.value.fields == {"colour": "unknown field"}


@pytest.mark.parametrize("rank", [-1, 1001, True, "3", 2.0])
def test_rank_bounds(rank: Any, session: Session, make_user: Callable[..., User]) -> None:
    with pytest.raises(ValidationError):
        tiers.create_tier(session, make_user(Role.VENDOR_ADMIN), values(rank=rank))


def test_unique_name_and_rank(
    session: Session, make_user: Callable[..., User], make_tier: Callable[..., Tier]
) -> None:
    admin = make_user(Role.VENDOR_ADMIN)
    make_tier(name="Gold", rank=30)
    with pytest.raises(Conflict):
        tiers.create_tier(session, admin, values(name="GOLD", rank=31))
    with pytest.raises(Conflict):
        tiers.create_tier(session, admin, values(name="Other", rank=30))


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.VENDOR_ADMIN], ids=str)
def test_only_vendor_admin(
    role: Role, session: Session, make_user: Callable[..., User], make_tier: Callable[..., Tier]
) -> None:
    actor = make_user(role)
    with pytest.raises(PermissionDenied):
        tiers.create_tier(session, actor, values())
    with pytest.raises(PermissionDenied):
        tiers.update_tier(session, actor, make_tier().id, {"name": "x"})


def test_list_by_rank_and_get(
    session: Session, make_user: Callable[..., User], make_tier: Callable[..., Tier]
) -> None:
    reader = make_user(Role.PARTNER_USER)
    make_tier(rank=3)
    make_tier(rank=1)
    ranks = [t.rank for t in tiers.list_tiers(session, reader)]
    assert ranks == sorted(ranks)
    with pytest.raises(NotFound):
        tiers.get_tier(session, reader, 2_000_000_000)
