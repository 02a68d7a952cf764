"""Tier requirements as data: read and set per tier, validated field by field."""

from __future__ import annotations

import decimal
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from prm_domain import audit, validation
from prm_domain.access.tiers import ensure_can_manage_tier_rules
from prm_domain.enums import TrainingRole
from prm_domain.errors import ValidationError
from prm_domain.models import Tier, TierRequirement, User
from prm_domain.models.tier_rules import DEFAULT_GRACE_DAYS
from prm_domain.tiers import get_tier

FIELDS = ("min_revenue", "min_deals_won", "min_certified", "grace_days")
MAX_REVENUE = decimal.Decimal("999999999999.99")
MAX_PEOPLE = 1000
MAX_GRACE_DAYS = 365
_PLAIN_DECIMAL = re.compile(r"[0-9]{1,12}(\.[0-9]{1,2})?")


@dataclass(frozen=True)
class Requirements:
    """A tier's requirements as plain values; ``evaluated`` False: the tier is set by hand."""

    tier: Tier
    evaluated: bool
    min_revenue: decimal.Decimal
    min_deals_won: int
    min_certified: dict[str, int]
    grace_days: int

    @classmethod
    def of(cls, tier: Tier, row: TierRequirement | None) -> Requirements:
        if row is None:
            return cls(tier, False, decimal.Decimal("0.00"), 0, {}, DEFAULT_GRACE_DAYS)
        certified = {r: int(n) for r, n in (row.min_certified or {}).items() if int(n) > 0}
        return cls(tier, True, row.min_revenue, row.min_deals_won, certified, row.grace_days)


def _revenue(value: Any) -> decimal.Decimal:
    if isinstance(value, decimal.Decimal):
        value = format(value, "f")
    if not isinstance(value, str) or not _PLAIN_DECIMAL.fullmatch(value.strip()):
        raise validation.fail(
            "min_revenue", 'must be an amount given as a string, e.g. "500000.00"'
        )
    number = decimal.Decimal(value.strip())
    if number > MAX_REVENUE:
        raise validation.fail("min_revenue", "is too large")
    return number.quantize(decimal.Decimal("0.01"))


def _whole(field: str, value: Any, top: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= top:
        raise validation.fail(field, f"must be a whole number from 0 to {top}")
    return value


def _certified(value: Any) -> dict[str, int]:
    if not isinstance(value, Mapping):
        raise validation.fail("min_certified", 'must map roles to numbers, e.g. {"sales": 2}')
    out: dict[str, int] = {}
    problems: dict[str, str] = {}
    roles = ", ".join(r.value for r in TrainingRole)
    for role, count in value.items():
        if role not in {r.value for r in TrainingRole}:
            problems[f"min_certified.{str(role)[:40]}"] = f"is not a role: one of {roles}"
            continue
        try:
            out[str(role)] = _whole(f"min_certified.{role}", count, MAX_PEOPLE)
        except ValidationError as exc:
            problems.update(exc.fields)
    if problems:
        raise ValidationError.for_fields(problems)
    return {r: n for r, n in sorted(out.items()) if n > 0}


def clean(values: Mapping[str, Any]) -> dict[str, Any]:
    """Every field of a full set of requirements, checked; unknown fields refused."""
    problems: dict[str, str] = {f: "unknown field" for f in set(values) - set(FIELDS)}
    if "min_revenue" not in values:
        problems["min_revenue"] = "is required"
    rules: dict[str, Callable[[Any], Any]] = {
        "min_revenue": _revenue,
        "min_deals_won": lambda v: _whole("min_deals_won", v, 100_000),
        "min_certified": _certified,
        "grace_days": lambda v: _whole("grace_days", v, MAX_GRACE_DAYS),
    }
    out: dict[str, Any] = {"min_deals_won": 0, "min_certified": {}, "grace_days": 30}
    for field, rule in rules.items():
        if field not in values:
            continue
        try:
            out[field] = rule(values[field])
        except ValidationError as exc:
            problems.update(exc.fields)
    if problems:
        raise ValidationError.for_fields(problems)
    return out


def get_requirements(session: Session, actor: User, tier_id: int) -> Requirements:
    """A tier's requirements. Readable by everyone signed in, like the tiers themselves: a
    partner sees what the next tier asks for."""
    tier = get_tier(session, actor, tier_id)
    return Requirements.of(tier, session.get(TierRequirement, tier.id))


def set_requirements(
    session: Session, actor: User, tier_id: int, values: Mapping[str, Any]
) -> Requirements:
    """Replace a tier's requirements (the tier becomes earned by them). Partners are
    re-evaluated by the next event, the nightly job, or ``evaluate_all`` on demand."""
    ensure_can_manage_tier_rules(actor)
    tier = get_tier(session, actor, tier_id)
    data = clean(values)
    row = session.get(TierRequirement, tier.id)
    before = Requirements.of(tier, row)
    if row is None:
        row = TierRequirement(tier_id=tier.id, **data, updated_by_id=actor.id)
        session.add(row)
    else:
        for field, value in data.items():
            setattr(row, field, value)
        row.updated_by_id = actor.id
    session.flush()
    audit.record(
        session,
        actor,
        "tier.requirements_set",
        tier,
        {
            "before": None if not before.evaluated else _plain(before),
            "after": _plain(Requirements.of(tier, row)),
        },
    )
    return Requirements.of(tier, row)


def _plain(req: Requirements) -> dict[str, Any]:
    return {
        "min_revenue": str(req.min_revenue),
        "min_deals_won": req.min_deals_won,
        "min_certified": req.min_certified,
        "grace_days": req.grace_days,
    }


def all_requirements(session: Session) -> dict[int, TierRequirement]:
    return {r.tier_id: r for r in session.scalars(select(TierRequirement))}


def list_requirements(session: Session, actor: User) -> list[Requirements]:
    """Every tier with its requirements, by rank (the vendor's requirements page)."""
    rows = all_requirements(session)
    return [
        Requirements.of(t, rows.get(t.id))
        for t in session.scalars(select(Tier).order_by(Tier.rank))
    ]
