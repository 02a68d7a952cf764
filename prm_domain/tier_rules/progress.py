"""What a partner sees of its tier (progress toward the next one, the grace, the history),
the vendor's overview, an evaluation on demand, and the vendor setting a tier by hand."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from prm_domain.access.tiers import (
    ensure_can_manage_tier_rules,
    ensure_can_see_tier_progress,
    ensure_can_watch_tier_programme,
)
from prm_domain.base import utcnow
from prm_domain.enums import TierChangeKind
from prm_domain.errors import NotFound
from prm_domain.models import Partner, Tier, TierChange, TierGrace, User
from prm_domain.pagination import Page, paginate
from prm_domain.tier_rules.evaluation import (
    CLOSE_PERCENT,
    EVALUATED_STATUSES,
    Line,
    Metrics,
    Programme,
    Run,
    apply_tier_change,
    evaluate_all,
    lines,
    load_programme,
    measure,
)


@dataclass(frozen=True)
class Progress:
    partner: Partner
    tier: Tier
    metrics: Metrics
    evaluated: bool  # False: no rules, a tier set by hand, or a status that is not evaluated
    qualified: Tier | None
    current: list[Line]  # the own tier's requirements
    next_tier: Tier | None
    toward_next: list[Line]
    grace: TierGrace | None
    grace_target: Tier | None

    @property
    def next_percent(self) -> int:
        """How far toward the next tier, on average over its requirements."""
        if not self.toward_next:
            return 100 if self.next_tier else 0
        return sum(line.percent for line in self.toward_next) // len(self.toward_next)


def _progress(
    session: Session, programme: Programme, partner: Partner, metrics: Metrics
) -> Progress:
    tier = partner.tier
    evaluated = (
        programme.active and partner.status in EVALUATED_STATUSES and programme.governs(tier)
    )
    next_tier = programme.next_above(tier) if programme.active else None
    grace = session.get(TierGrace, partner.id)
    return Progress(
        partner=partner,
        tier=tier,
        metrics=metrics,
        evaluated=evaluated,
        qualified=programme.qualified(metrics) if programme.active else None,
        current=lines(programme.requirements_of(tier), metrics) if programme.active else [],
        next_tier=next_tier,
        toward_next=lines(programme.requirements_of(next_tier), metrics) if next_tier else [],
        grace=grace,
        grace_target=session.get(Tier, grace.to_tier_id) if grace else None,
    )


def tier_progress(
    session: Session, actor: User, partner_id: int, now: dt.datetime | None = None
) -> Progress:
    ensure_can_see_tier_progress(actor, partner_id)
    partner = session.get(Partner, partner_id)
    if partner is None:
        raise NotFound("Partner not found.")
    now = now or utcnow()
    metrics = measure(session, [partner.id], now)[partner.id]
    return _progress(session, load_programme(session), partner, metrics)


def tier_history(
    session: Session, actor: User, partner_id: int, *, page: int = 1, per_page: int = 50
) -> Page[TierChange]:
    """The partner's tier changes and graces, newest first."""
    ensure_can_see_tier_progress(actor, partner_id)
    if session.get(Partner, partner_id) is None:
        raise NotFound("Partner not found.")
    stmt = (
        select(TierChange)
        .where(TierChange.partner_id == partner_id)
        .order_by(TierChange.at.desc(), TierChange.id.desc())
    )
    return paginate(session, stmt, page=page, per_page=per_page)


def tier_names(session: Session) -> dict[int, str]:
    return {t.id: t.name for t in session.scalars(select(Tier))}


@dataclass(frozen=True)
class Overview:
    close: list[Progress]  # near the next tier, closest first
    in_grace: list[Progress]  # soonest end first


def programme_overview(session: Session, actor: User, now: dt.datetime | None = None) -> Overview:
    """For the vendor: partners close to a promotion, and partners in grace."""
    ensure_can_watch_tier_programme(actor)
    now = now or utcnow()
    programme = load_programme(session)
    if not programme.active:
        return Overview([], [])
    partners = list(
        session.scalars(
            select(Partner).where(Partner.status.in_(EVALUATED_STATUSES)).order_by(Partner.name)
        )
    )
    metrics = measure(session, None, now)
    rows = [_progress(session, programme, p, metrics.get(p.id, Metrics())) for p in partners]
    close = [
        r
        for r in rows
        if r.evaluated and r.next_tier is not None and r.next_percent >= CLOSE_PERCENT
    ]
    close.sort(key=lambda r: -r.next_percent)
    graces = [r for r in rows if r.grace is not None]
    graces.sort(key=lambda r: r.grace.ends_at if r.grace else now)
    return Overview(close, graces)


def evaluate_now(session: Session, actor: User, now: dt.datetime | None = None) -> Run:
    """The vendor's "evaluate now": the nightly run, at once."""
    ensure_can_manage_tier_rules(actor)
    return evaluate_all(session, now, reason=f"evaluated on demand by {actor.email}")


def record_tier_set(session: Session, actor: User, partner: Partner, old_tier_id: int) -> None:
    """The vendor set a partner's tier by hand (partners.update_partner): the same history,
    notice and benefits as an evaluated change. The next evaluation may move it again if the
    tier is earned by requirements the partner does not meet (a grace first)."""
    old = session.get(Tier, old_tier_id)
    new = session.get(Tier, partner.tier_id)
    if old is None or new is None or old.id == new.id:
        return
    apply_tier_change(
        session, partner, old, new, TierChangeKind.SET, f"set by {actor.email}", actor, utcnow()
    )
