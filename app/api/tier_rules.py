"""Tier requirements, a partner's tier progress and history, and an evaluation on demand."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from flask import g
from pydantic import BaseModel, Field

from app import db
from app.api import bp
from app.api.framework import operation
from app.api.schemas import Amount, In, Out, PageOut, PageQuery, page_out
from prm_domain import tier_rules
from prm_domain.enums import TierChangeKind
from prm_domain.models import Tier, TierChange

TAG = "tiers"
People = Annotated[int, Field(ge=0, le=1000)]


class TierRequirementsIn(In):
    """All of a tier's requirements at once (PUT replaces them)."""

    min_revenue: Amount = Field(description="Closed-won revenue over the last 12 months")
    min_deals_won: int = Field(0, ge=0, le=100_000)
    min_certified: dict[str, People] = Field(
        default_factory=dict,
        description='Certified people by training role, e.g. {"sales": 2, "technical": 1}',
    )
    grace_days: int = Field(
        30, ge=0, le=365, description="Days a partner keeps the tier after it stops qualifying"
    )


class TierRequirementsOut(Out):
    tier_id: int
    tier_name: str
    evaluated: bool = Field(description="False: the tier has no requirements (set by hand)")
    min_revenue: str
    min_deals_won: int
    min_certified: dict[str, int]
    grace_days: int


class TierRefOut(Out):
    id: int
    name: str
    rank: int


class MetricsOut(Out):
    revenue: str
    deals_won: int
    certified: dict[str, int]


class LineOut(Out):
    key: str
    label: str
    have: str
    need: str
    met: bool
    percent: int


class GraceOut(Out):
    started_at: dt.datetime
    ends_at: dt.datetime
    to_tier: TierRefOut


class TierProgressOut(Out):
    partner_id: int
    tier: TierRefOut
    evaluated: bool
    qualified_tier: TierRefOut | None
    metrics: MetricsOut
    current: list[LineOut]
    next_tier: TierRefOut | None
    toward_next: list[LineOut]
    next_percent: int
    grace: GraceOut | None


class TierChangeOut(Out):
    id: int
    kind: TierChangeKind
    from_tier_id: int | None
    from_tier_name: str | None
    to_tier_id: int | None
    to_tier_name: str | None
    reason: str
    actor_email: str
    at: dt.datetime


class EvaluationOut(BaseModel):
    evaluated: int
    promoted: int
    demoted: int
    grace_started: int
    grace_cancelled: int


def _tier(tier: Tier) -> TierRefOut:
    return TierRefOut(id=tier.id, name=tier.name, rank=tier.rank)


def _requirements(req: tier_rules.Requirements) -> TierRequirementsOut:
    return TierRequirementsOut(
        tier_id=req.tier.id,
        tier_name=req.tier.name,
        evaluated=req.evaluated,
        min_revenue=str(req.min_revenue),
        min_deals_won=req.min_deals_won,
        min_certified=req.min_certified,
        grace_days=req.grace_days,
    )


def _line(line: tier_rules.Line) -> LineOut:
    return LineOut(
        key=line.key,
        label=line.label,
        have=str(line.have),
        need=str(line.need),
        met=line.met,
        percent=line.percent,
    )


@operation(
    bp,
    "/tiers/<id:tier_id>/requirements",
    "GET",
    summary="A tier's requirements (evaluated: false when the tier is set by hand)",
    tag=TAG,
    response=TierRequirementsOut,
)
def get_tier_requirements(tier_id: int) -> TierRequirementsOut:
    return _requirements(tier_rules.get_requirements(db.session(), g.user, tier_id))


@operation(
    bp,
    "/tiers/<id:tier_id>/requirements",
    "PUT",
    summary="Set a tier's requirements: partners then earn it (vendor admins)",
    tag=TAG,
    body=TierRequirementsIn,
    response=TierRequirementsOut,
    errors=(403,),
)
def set_tier_requirements(tier_id: int, body: TierRequirementsIn) -> TierRequirementsOut:
    req = tier_rules.set_requirements(db.session(), g.user, tier_id, body.model_dump())
    db.session().commit()
    return _requirements(req)


@operation(
    bp,
    "/partners/<id:partner_id>/tier-progress",
    "GET",
    summary="The partner's tier, metrics, progress toward the next tier and any grace",
    tag=TAG,
    response=TierProgressOut,
)
def get_tier_progress(partner_id: int) -> TierProgressOut:
    p = tier_rules.tier_progress(db.session(), g.user, partner_id)
    grace = None
    if p.grace is not None and p.grace_target is not None:
        grace = GraceOut(
            started_at=p.grace.started_at, ends_at=p.grace.ends_at, to_tier=_tier(p.grace_target)
        )
    return TierProgressOut(
        partner_id=p.partner.id,
        tier=_tier(p.tier),
        evaluated=p.evaluated,
        qualified_tier=_tier(p.qualified) if p.qualified else None,
        metrics=MetricsOut(
            revenue=str(p.metrics.revenue),
            deals_won=p.metrics.deals_won,
            certified=p.metrics.certified,
        ),
        current=[_line(x) for x in p.current],
        next_tier=_tier(p.next_tier) if p.next_tier else None,
        toward_next=[_line(x) for x in p.toward_next],
        next_percent=p.next_percent,
        grace=grace,
    )


@operation(
    bp,
    "/partners/<id:partner_id>/tier-history",
    "GET",
    summary="The partner's tier changes and grace periods, newest first",
    tag=TAG,
    query=PageQuery,
    response=PageOut[TierChangeOut],
)
def list_tier_history(partner_id: int, query: PageQuery) -> PageOut[TierChangeOut]:
    session = db.session()
    page = tier_rules.tier_history(session, g.user, partner_id, **query.model_dump())
    names = tier_rules.tier_names(session)

    def out(c: TierChange) -> TierChangeOut:
        return TierChangeOut(
            id=c.id,
            kind=TierChangeKind(c.kind),
            from_tier_id=c.from_tier_id,
            from_tier_name=names.get(c.from_tier_id) if c.from_tier_id else None,
            to_tier_id=c.to_tier_id,
            to_tier_name=names.get(c.to_tier_id) if c.to_tier_id else None,
            reason=c.reason,
            actor_email=c.actor_email,
            at=c.at,
        )

    return page_out(page, out)


@operation(
    bp,
    "/tiers/evaluate",
    "POST",
    summary="Evaluate every partner's tier now, as the nightly job does (vendor admins)",
    tag=TAG,
    response=EvaluationOut,
    errors=(403,),
)
def evaluate_tiers_now() -> EvaluationOut:
    run = tier_rules.evaluate_now(db.session(), g.user)
    db.session().commit()
    return EvaluationOut(
        evaluated=run.evaluated,
        promoted=run.promoted,
        demoted=run.demoted,
        grace_started=run.grace_started,
        grace_cancelled=run.grace_cancelled,
    )
