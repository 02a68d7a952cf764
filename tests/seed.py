"""Rows that tests seed straight into a session (a tier, a partner, a user), with the values most
tests do not care about filled in once. Each adds and flushes, so the id is there to use."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from prm_domain.enums import PartnerStatus, PartnerType, Region, Role
from prm_domain.models import Partner, Tier, User

T = TypeVar("T")
# Not an argon2 hash: nobody can sign in as a user seeded without one.
NO_LOGIN = "not-a-login"


def _added(s: Session, row: T) -> T:
    s.add(row)
    s.flush()
    return row


def add_tier(s: Session, name: str, rank: int, **kw: Any) -> Tier:
    values: dict[str, Any] = {
        "description": "",
        "mdf_share_percent": Decimal("2.50"),
        "discount_percent": Decimal("10.00"),
        "content_access": ["standard"],
    }
    return _added(s, Tier(name=name, rank=rank, **(values | kw)))


def add_partner(s: Session, name: str, tier_id: int, **kw: Any) -> Partner:
    """An active German reseller in EMEA unless ``kw`` says otherwise."""
    values: dict[str, Any] = {
        "name_key": name.casefold(),
        "type": PartnerType.RESELLER,
        "country": "DE",
        "region": Region.EMEA,
        "verticals": [],
        "website_domains": [],
        "status": PartnerStatus.ACTIVE,
    }
    return _added(s, Partner(name=name, tier_id=tier_id, **(values | kw)))


def add_user(
    s: Session,
    role: Role,
    email: str,
    partner_id: int | None = None,
    password_hash: str = NO_LOGIN,
    **kw: Any,
) -> User:
    values: dict[str, Any] = {"display_name": email.split("@")[0]}
    return _added(
        s,
        User(
            email=email,
            password_hash=password_hash,
            role=role,
            partner_id=partner_id,
            **(values | kw),
        ),
    )
