"""Partner programme tiers and their benefits."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from prm_domain import audit, validation
from prm_domain.access import Right, require
from prm_domain.errors import Conflict, NotFound, ValidationError
from prm_domain.models import Tier, User

TIER_FIELDS = (
    "name",
    "rank",
    "description",
    "mdf_share_percent",
    "discount_percent",
    "content_access",
)


def _clean(values: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(TIER_FIELDS)
    if unknown:
        raise ValidationError.for_fields({f: "unknown field" for f in unknown})
    clean: dict[str, Any] = {}
    problems: dict[str, str] = {}
    rules: dict[str, Callable[[Any], Any]] = {
        "name": lambda v: validation.text("name", v, max_len=80),
        "rank": _rank,
        "description": lambda v: validation.text("description", v, max_len=500, required=False),
        "mdf_share_percent": lambda v: validation.percent("mdf_share_percent", v),
        "discount_percent": lambda v: validation.percent("discount_percent", v),
        "content_access": lambda v: validation.string_list(
            "content_access", v, max_items=20, max_len=40
        ),
    }
    for field, value in values.items():
        try:
            clean[field] = rules[field](value)
        except ValidationError as exc:
            problems.update(exc.fields)
    if problems:
        raise ValidationError.for_fields(problems)
    return clean


def _rank(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 1000:
        raise validation.fail("rank", "must be a whole number from 0 to 1000")
    return value


def _ensure_unique(
    session: Session, values: Mapping[str, Any], exclude_id: int | None = None
) -> None:
    if "name" in values:
        clash = session.scalar(
            select(Tier.id).where(
                func.lower(Tier.name) == values["name"].lower(), Tier.id != (exclude_id or 0)
            )
        )
        if clash:
            raise Conflict(
                f"A tier named {values['name']!r} exists already.", {"name": "already used"}
            )
    if "rank" in values:
        clash = session.scalar(
            select(Tier.id).where(Tier.rank == values["rank"], Tier.id != (exclude_id or 0))
        )
        if clash:
            raise Conflict(f"Another tier has rank {values['rank']}.", {"rank": "already used"})


def list_tiers(session: Session, actor: User) -> list[Tier]:
    # Every signed-in user may read the programme: partners see what the next tier unlocks.
    return list(session.scalars(select(Tier).order_by(Tier.rank)))


def get_tier(session: Session, actor: User, tier_id: int) -> Tier:
    tier = session.get(Tier, tier_id)
    if tier is None:
        raise NotFound("Tier not found.")
    return tier


def create_tier(session: Session, actor: User, values: Mapping[str, Any]) -> Tier:
    require(actor, Right.MANAGE_TIERS)
    missing = {
        f: "is required"
        for f in ("name", "rank", "mdf_share_percent", "discount_percent")
        if f not in values
    }
    if missing:
        raise ValidationError.for_fields(missing)
    clean = _clean(values)
    _ensure_unique(session, clean)
    tier = Tier(**{"description": "", "content_access": [], **clean})
    session.add(tier)
    session.flush()
    audit.record(session, actor, "tier.created", tier, clean)
    return tier


def update_tier(session: Session, actor: User, tier_id: int, values: Mapping[str, Any]) -> Tier:
    require(actor, Right.MANAGE_TIERS)
    tier = get_tier(session, actor, tier_id)
    clean = _clean(values)
    _ensure_unique(session, clean, exclude_id=tier.id)
    changes = audit.diff(tier, clean)
    for field, value in clean.items():
        setattr(tier, field, value)
    session.flush()
    if changes:
        audit.record(session, actor, "tier.updated", tier, changes)
    return tier
