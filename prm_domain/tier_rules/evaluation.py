"""Which tier a partner has earned, and moving it there.

Metrics come from SQL (trailing-twelve-month closed-won revenue and deal count, current
certifications of active people by role), for one partner or all at once. The partner
qualifies for the highest earned tier (one with requirements) whose requirements it all meets;
the lowest-ranked tier is the floor. A promotion happens at once; a partner that no longer
meets its tier's requirements keeps it for the tier's grace period (told when it starts), is
demoted when the grace is over, and the grace is cancelled if it qualifies again before then.

Every tier change (by the evaluation or by the vendor's hand) goes through
:func:`apply_tier_change`, which keeps the history, tells the partner, and moves the benefits
that are stored rather than derived: MDF allocations by tier rule follow the tier; content
audiences match on ``partner.tier_id`` at query time (prm_domain.audience.partner_tags), so
visibility follows in the same transaction.

Evaluating twice changes nothing the second time: the tier is compared and set in one
conditional UPDATE, a grace is one row per partner (inserted unless there is one), and the
notices carry dedupe keys.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Integer, Numeric, cast, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from prm_domain import audit, notifications
from prm_domain.base import utcnow
from prm_domain.enums import DealStatus, PartnerStatus, TierChangeKind, TrainingRole
from prm_domain.models import (
    Certification,
    DealRegistration,
    Partner,
    Tier,
    TierChange,
    TierGrace,
    User,
)
from prm_domain.tier_rules.requirements import Requirements, all_requirements

TTM = dt.timedelta(days=365)
# Partners whose tier follows the rules. A prospect keeps the tier it was signed on; a
# suspended or exited partner is left as it is until it is active again.
EVALUATED_STATUSES = frozenset({PartnerStatus.ACTIVE, PartnerStatus.ONBOARDING})
# Shown as "close to promotion" on the vendor's page from this share of the next tier's
# requirements on average.
CLOSE_PERCENT = 75


@dataclass(frozen=True)
class Metrics:
    revenue: decimal.Decimal = decimal.Decimal("0.00")
    deals_won: int = 0
    certified: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Line:
    """One requirement toward a tier, as a progress bar shows it."""

    key: str  # "revenue" | "deals_won" | "certified.<role>"
    label: str
    have: decimal.Decimal | int
    need: decimal.Decimal | int
    met: bool
    percent: int


@dataclass
class Programme:
    """The tiers by rank and the requirements of the earned ones."""

    tiers: list[Tier]
    requirements: dict[int, Requirements]

    @property
    def active(self) -> bool:
        return bool(self.requirements) and bool(self.tiers)

    @property
    def entry(self) -> Tier:
        return self.tiers[0]

    def governs(self, tier: Tier) -> bool:
        return tier.id in self.requirements or tier.id == self.entry.id

    def requirements_of(self, tier: Tier) -> Requirements:
        return self.requirements.get(tier.id) or Requirements.of(tier, None)

    def qualified(self, metrics: Metrics) -> Tier:
        best = self.entry
        for tier in self.tiers:
            req = self.requirements.get(tier.id)
            if req is not None and all(line.met for line in lines(req, metrics)):
                best = tier
        return best

    def next_above(self, tier: Tier) -> Tier | None:
        return next(
            (t for t in self.tiers if t.rank > tier.rank and t.id in self.requirements), None
        )


def load_programme(session: Session) -> Programme:
    tiers = list(session.scalars(select(Tier).order_by(Tier.rank)))
    rows = all_requirements(session)
    return Programme(tiers, {t.id: Requirements.of(t, rows[t.id]) for t in tiers if t.id in rows})


def _percent(have: decimal.Decimal | int, need: decimal.Decimal | int) -> int:
    if need <= 0:
        return 100
    return min(100, int(decimal.Decimal(have) * 100 / decimal.Decimal(need)))


def lines(req: Requirements, metrics: Metrics) -> list[Line]:
    """Each requirement of ``req`` against the metrics (only those the tier asks for)."""
    out = []
    if req.min_revenue > 0:
        out.append(
            Line(
                "revenue",
                "Closed-won revenue, last 12 months",
                metrics.revenue,
                req.min_revenue,
                metrics.revenue >= req.min_revenue,
                _percent(metrics.revenue, req.min_revenue),
            )
        )
    if req.min_deals_won > 0:
        out.append(
            Line(
                "deals_won",
                "Deals won, last 12 months",
                metrics.deals_won,
                req.min_deals_won,
                metrics.deals_won >= req.min_deals_won,
                _percent(metrics.deals_won, req.min_deals_won),
            )
        )
    for role, need in sorted(req.min_certified.items()):
        have = metrics.certified.get(role, 0)
        out.append(
            Line(
                f"certified.{role}",
                f"Certified {TrainingRole(role).label.lower()} people",
                have,
                need,
                have >= need,
                _percent(have, need),
            )
        )
    return out


def _revenue_sum(session: Session) -> ColumnElement[Any]:
    # SQLite keeps ExactDecimal as text ("25000.00", always two places): summed as integer
    # cents it stays exact; Postgres sums NUMERIC exactly.
    if session.get_bind().dialect.name == "sqlite":
        return func.sum(cast(func.replace(DealRegistration.estimated_value, ".", ""), Integer))
    return func.sum(cast(DealRegistration.estimated_value, Numeric(16, 2)))


def measure(
    session: Session, partner_ids: Iterable[int] | None, now: dt.datetime
) -> dict[int, Metrics]:
    """Metrics per partner (all partners with any when ``partner_ids`` is None), in two
    grouped queries."""
    ids = None if partner_ids is None else list(partner_ids)
    sqlite_cents = session.get_bind().dialect.name == "sqlite"
    deals = select(
        DealRegistration.partner_id,
        _revenue_sum(session),
        func.count(DealRegistration.id),
    ).where(
        DealRegistration.status == DealStatus.WON,
        DealRegistration.decided_at > now - TTM,
        DealRegistration.decided_at <= now,
    )
    certs = (
        select(
            Certification.partner_id,
            Certification.role,
            func.count(func.distinct(Certification.user_id)),
        )
        .join(User, User.id == Certification.user_id)
        .where(Certification.expires_at > now, User.active.is_(True))
    )
    if ids is not None:
        deals = deals.where(DealRegistration.partner_id.in_(ids))
        certs = certs.where(Certification.partner_id.in_(ids))
    revenue: dict[int, tuple[decimal.Decimal, int]] = {}
    for partner_id, total, count in session.execute(deals.group_by(DealRegistration.partner_id)):
        amount = decimal.Decimal(total or 0)
        if sqlite_cents:
            amount = amount.scaleb(-2)
        revenue[partner_id] = (amount.quantize(decimal.Decimal("0.01")), int(count))
    certified: dict[int, dict[str, int]] = {}
    for partner_id, role, count in session.execute(
        certs.group_by(Certification.partner_id, Certification.role)
    ):
        certified.setdefault(partner_id, {})[role] = int(count)
    keys = set(revenue) | set(certified) if ids is None else set(ids)
    return {
        pid: Metrics(
            revenue.get(pid, (decimal.Decimal("0.00"), 0))[0],
            revenue.get(pid, (decimal.Decimal("0.00"), 0))[1],
            certified.get(pid, {}),
        )
        for pid in keys
    }


@dataclass(frozen=True)
class Outcome:
    partner_id: int
    action: str  # "skipped" | "unchanged" | TierChangeKind value | "grace_continues"
    tier_id: int
    qualified_tier_id: int | None = None


def _insert_ignoring(session: Session, model: type, row: dict[str, object]) -> bool:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(model).on_conflict_do_nothing().returning(model.partner_id)  # type: ignore[attr-defined]
    return bool(session.execute(stmt, [row]).all())


def record_change(
    session: Session,
    partner: Partner,
    kind: TierChangeKind,
    from_tier: Tier | None,
    to_tier: Tier | None,
    reason: str,
    actor: User | None,
    at: dt.datetime,
) -> TierChange:
    change = TierChange(
        partner_id=partner.id,
        kind=kind.value,
        from_tier_id=from_tier.id if from_tier else None,
        to_tier_id=to_tier.id if to_tier else None,
        reason=reason[:500],
        actor_id=actor.id if actor else None,
        actor_email=actor.email if actor else "system",
        at=at,
    )
    session.add(change)
    session.flush()
    return change


def apply_tier_change(
    session: Session,
    partner: Partner,
    old: Tier,
    new: Tier,
    kind: TierChangeKind,
    reason: str,
    actor: User | None,
    now: dt.datetime,
) -> TierChange:
    """After ``partner.tier_id`` moved from ``old`` to ``new``: history, notice, benefits.
    Any grace ends with the change."""
    from prm_domain.campaigns import campaigns
    from prm_domain.mdf import funds

    session.execute(delete(TierGrace).where(TierGrace.partner_id == partner.id))
    session.expire(partner, ["tier"])
    change = record_change(session, partner, kind, old, new, reason, actor, now)
    audit.record(
        session,
        actor,
        f"partner.tier_{kind.value}",
        partner,
        {"tier": [old.name, new.name], "reason": reason},
        partner_id=partner.id,
    )
    verb = "moved up" if new.rank > old.rank else "moved"
    notifications.notify_user(
        session,
        partner_id=partner.id,
        user_id=None,
        kind="tier",
        text=f"Your organisation {verb} from {old.name} to {new.name}: {reason}",
        link=f"/partners/{partner.id}/tier",
        dedupe_key=f"tier-change:{change.id}",
    )
    funds.follow_tier_change(session, partner, old, new, f"tier-change-{change.id}", now.date())
    # Content follows at once: library and embeds ask the tier when asked; a launched campaign
    # for the new tier invites the partner now rather than at its next launch.
    session.expire(partner, ["tier"])
    campaigns.invite_to_launched(session, partner)
    return change


def _move(session: Session, partner: Partner, old: Tier, new: Tier) -> bool:
    """Compare and set: False when another evaluation moved the partner meanwhile."""
    done = session.execute(
        update(Partner)
        .where(Partner.id == partner.id, Partner.tier_id == old.id)
        .values(tier_id=new.id)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        session.expire(partner)
        return False
    session.expire(partner, ["tier_id", "tier", "updated_at"])
    return True


def evaluate_partner(
    session: Session,
    partner: Partner,
    now: dt.datetime | None = None,
    *,
    reason: str = "",
    programme: Programme | None = None,
    metrics: Metrics | None = None,
) -> Outcome:
    """Put ``partner`` on the tier it has earned (see the module's docstring); ``reason`` says
    what prompted the evaluation, for the history."""
    now = now or utcnow()
    programme = programme or load_programme(session)
    current = partner.tier
    if (
        not programme.active
        or partner.status not in EVALUATED_STATUSES
        or not programme.governs(current)
    ):
        return Outcome(partner.id, "skipped", current.id)
    if metrics is None:
        metrics = measure(session, [partner.id], now)[partner.id]
    qualified = programme.qualified(metrics)
    grace = session.get(TierGrace, partner.id)
    why = f" ({reason})" if reason else ""
    if qualified.rank > current.rank:
        if not _move(session, partner, current, qualified):
            return Outcome(partner.id, "unchanged", current.id, qualified.id)
        apply_tier_change(
            session, partner, current, qualified, TierChangeKind.PROMOTED,
            f"meets the {qualified.name} requirements{why}", None, now,
        )  # fmt: skip
        return Outcome(partner.id, TierChangeKind.PROMOTED.value, qualified.id, qualified.id)
    if qualified.rank == current.rank:
        if grace is None:
            return Outcome(partner.id, "unchanged", current.id, qualified.id)
        session.delete(grace)
        session.flush()
        record_change(
            session, partner, TierChangeKind.GRACE_CANCELLED, current, current,
            f"meets the {current.name} requirements again{why}", None, now,
        )  # fmt: skip
        notifications.notify_user(
            session,
            partner_id=partner.id,
            user_id=None,
            kind="tier",
            text=f"Your organisation meets the {current.name} requirements again: it keeps "
            f"{current.name}.",
            link=f"/partners/{partner.id}/tier",
            dedupe_key=f"tier-grace-cancelled:{partner.id}:{grace.started_at.isoformat()}",
        )
        return Outcome(partner.id, TierChangeKind.GRACE_CANCELLED.value, current.id, current.id)
    # Below its tier's requirements.
    days = programme.requirements_of(current).grace_days
    if grace is None and days > 0:
        ends = now + dt.timedelta(days=days)
        row = {
            "partner_id": partner.id,
            "from_tier_id": current.id,
            "to_tier_id": qualified.id,
            "started_at": now,
            "ends_at": ends,
        }
        if not _insert_ignoring(session, TierGrace, row):
            return Outcome(partner.id, "grace_continues", current.id, qualified.id)
        record_change(
            session, partner, TierChangeKind.GRACE_STARTED, current, qualified,
            f"no longer meets the {current.name} requirements{why}; keeps {current.name} "
            f"until {ends:%Y-%m-%d}", None, now,
        )  # fmt: skip
        notifications.notify_user(
            session,
            partner_id=partner.id,
            user_id=None,
            kind="tier",
            text=f"Your organisation no longer meets the {current.name} requirements. It keeps "
            f"{current.name} until {ends:%Y-%m-%d}; after that it moves to {qualified.name} "
            "unless it meets them again.",
            link=f"/partners/{partner.id}/tier",
            dedupe_key=f"tier-grace:{partner.id}:{now.isoformat()}",
        )
        return Outcome(partner.id, TierChangeKind.GRACE_STARTED.value, current.id, qualified.id)
    if grace is not None and now < grace.ends_at:
        if grace.to_tier_id != qualified.id:
            grace.to_tier_id = qualified.id
            session.flush()
        return Outcome(partner.id, "grace_continues", current.id, qualified.id)
    if not _move(session, partner, current, qualified):
        return Outcome(partner.id, "unchanged", current.id, qualified.id)
    ended = "the grace period ended" if grace is not None else "no grace period"
    apply_tier_change(
        session, partner, current, qualified, TierChangeKind.DEMOTED,
        f"no longer meets the {current.name} requirements; {ended}{why}", None, now,
    )  # fmt: skip
    return Outcome(partner.id, TierChangeKind.DEMOTED.value, qualified.id, qualified.id)


def evaluate_partner_id(
    session: Session, partner_id: int, reason: str, now: dt.datetime | None = None
) -> Outcome | None:
    """The events' one call: a deal won or moved, a certification granted or renewed."""
    partner = session.get(Partner, partner_id)
    if partner is None:
        return None
    return evaluate_partner(session, partner, now, reason=reason)


@dataclass
class Run:
    evaluated: int = 0
    promoted: int = 0
    demoted: int = 0
    grace_started: int = 0
    grace_cancelled: int = 0
    outcomes: list[Outcome] = field(default_factory=list)


def evaluate_all(session: Session, now: dt.datetime | None = None, reason: str = "") -> Run:
    """Every evaluated partner, with the metrics of all of them from the same two queries
    (the nightly job, and the vendor's "evaluate now"). Idempotent."""
    now = now or utcnow()
    programme = load_programme(session)
    run = Run()
    if not programme.active:
        return run
    partners = list(
        session.scalars(
            select(Partner).where(Partner.status.in_(EVALUATED_STATUSES)).order_by(Partner.id)
        )
    )
    metrics = measure(session, None, now)
    for partner in partners:
        outcome = evaluate_partner(
            session,
            partner,
            now,
            reason=reason,
            programme=programme,
            metrics=metrics.get(partner.id, Metrics()),
        )
        if outcome.action == "skipped":
            continue
        run.evaluated += 1
        run.outcomes.append(outcome)
        if outcome.action in ("promoted", "demoted", "grace_started", "grace_cancelled"):
            setattr(run, outcome.action, getattr(run, outcome.action) + 1)
    return run
