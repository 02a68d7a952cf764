"""What MDF brought: leads, pipeline and revenue per activity, cost per lead, return per unit paid.

Attribution of leads (documented in docs/mdf.md): a lead counts for a request when it is the
request's partner's, arrived between the activity's first day and its claim deadline (UTC,
both days included), and its page carried ``utm_campaign=mdf-<request id>`` or, for a request
that names a campaign, ``utm_campaign=campaign-<campaign id>`` (the tracked link or embed page
the partner used for the activity).

Deals (pipeline, closed-won revenue): :func:`deal_figures_for_request`, the registrations the
request's attributed leads converted into.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from prm_domain.access import Area, Right, partner_scope, require
from prm_domain.enums import DealStatus, MdfClaimStatus, MdfRequestStatus
from prm_domain.mdf.ledger import CENT
from prm_domain.models import DealRegistration, Lead, MdfClaim, MdfRequest, Partner, Tier, User

ZERO = decimal.Decimal("0.00")
ATTRIBUTION = (
    "A lead counts for an activity when it is the partner's, arrived between the activity's "
    "start and its claim deadline, and its page carried utm_campaign=mdf-<request id> (or "
    "campaign-<campaign id> for a request in a campaign). Pipeline and revenue come from deals."
)


@dataclass(frozen=True)
class DealFigures:
    deals: int
    pipeline: decimal.Decimal
    closed_won: decimal.Decimal


def deal_figures_for_request(session: Session, request: MdfRequest) -> DealFigures:
    """The deals attributed to this request, its open pipeline and closed-won revenue: the
    deal registrations that its attributed leads converted into (the same attribution rule
    as :func:`attributed_leads`). Pipeline counts deals pending or approved; won, closed won."""
    start = dt.datetime.combine(request.starts_on, dt.time(), dt.UTC)
    end = dt.datetime.combine(request.claim_due_on + dt.timedelta(days=1), dt.time(), dt.UTC)
    tags = campaign_tags(request)
    converted = [
        deal_id
        for utm, deal_id in session.execute(
            select(Lead.utm, Lead.converted_deal_id).where(
                Lead.partner_id == request.partner_id,
                Lead.created_at >= start,
                Lead.created_at < end,
                Lead.converted_deal_id.is_not(None),
            )
        )
        if (utm or {}).get("utm_campaign") in tags
    ]
    if not converted:
        return DealFigures(0, ZERO, ZERO)
    deals = list(
        session.scalars(
            select(DealRegistration).where(
                DealRegistration.id.in_(converted),
                DealRegistration.partner_id == request.partner_id,
            )
        )
    )
    open_states = {DealStatus.PENDING, DealStatus.APPROVED}
    return DealFigures(
        len(deals),
        sum((d.estimated_value for d in deals if d.status in open_states), ZERO),
        sum((d.estimated_value for d in deals if d.status is DealStatus.WON), ZERO),
    )


def campaign_tags(request: MdfRequest) -> set[str]:
    tags = {f"mdf-{request.id}"}
    if request.campaign_id is not None:
        tags.add(f"campaign-{request.campaign_id}")
    return tags


def attributed_leads(session: Session, request: MdfRequest) -> int:
    start = dt.datetime.combine(request.starts_on, dt.time(), dt.UTC)
    end = dt.datetime.combine(request.claim_due_on + dt.timedelta(days=1), dt.time(), dt.UTC)
    tags = campaign_tags(request)
    utms = session.scalars(
        select(Lead.utm).where(
            Lead.partner_id == request.partner_id, Lead.created_at >= start, Lead.created_at < end
        )
    )
    return sum(1 for utm in utms if (utm or {}).get("utm_campaign") in tags)


@dataclass
class Row:
    key: str
    label: str
    requests: int = 0
    paid: decimal.Decimal = ZERO
    leads: int = 0
    pipeline: decimal.Decimal = ZERO
    closed_won: decimal.Decimal = ZERO
    ids: list[int] = field(default_factory=list)

    def add(self, other: Row) -> None:
        self.requests += other.requests
        self.paid += other.paid
        self.leads += other.leads
        self.pipeline += other.pipeline
        self.closed_won += other.closed_won

    @property
    def cost_per_lead(self) -> decimal.Decimal | None:
        """Paid per lead, rounded half up to the cent; None without leads."""
        if not self.leads:
            return None
        return (self.paid / self.leads).quantize(CENT, rounding=decimal.ROUND_HALF_UP)

    @property
    def return_per_unit(self) -> decimal.Decimal | None:
        """Closed-won revenue per unit paid (2 places, half up); None when nothing was paid."""
        if not self.paid:
            return None
        return (self.closed_won / self.paid).quantize(CENT, rounding=decimal.ROUND_HALF_UP)


@dataclass
class Report:
    activities: list[Row]
    by_partner: list[Row]
    by_activity_type: list[Row]
    by_tier: list[Row]
    by_quarter: list[Row]


def _quarter(day: dt.date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def roi_report(session: Session, actor: User, *, fund_id: int | None = None) -> Report:
    require(actor, Right.VIEW_MDF)
    stmt = (
        select(MdfRequest, Partner, Tier)
        .join(Partner, Partner.id == MdfRequest.partner_id)
        .join(Tier, Tier.id == Partner.tier_id)
        .where(
            partner_scope(actor, MdfRequest.partner_id, Area.MDF),
            MdfRequest.status.in_([MdfRequestStatus.APPROVED, MdfRequestStatus.CLAIMED]),
        )
        .order_by(MdfRequest.starts_on, MdfRequest.id)
    )
    if fund_id is not None:
        stmt = stmt.where(MdfRequest.fund_id == fund_id)
    rows = list(session.execute(stmt))
    paid: dict[int, decimal.Decimal] = defaultdict(lambda: ZERO)
    for request_id, amount in session.execute(
        select(MdfClaim.request_id, MdfClaim.approved_amount).where(
            MdfClaim.status == MdfClaimStatus.PAID,
            MdfClaim.request_id.in_([r.id for r, _, _ in rows]),
        )
    ):
        paid[request_id] += amount or ZERO
    activities: list[Row] = []
    groups: dict[str, dict[str, Row]] = {k: {} for k in ("partner", "type", "tier", "quarter")}
    keys: dict[str, Callable[[MdfRequest, Partner, Tier], tuple[str, str]]] = {
        "partner": lambda r, p, t: (str(p.id), p.name),
        "type": lambda r, p, t: (r.activity_type.value, r.activity_type.label),
        "tier": lambda r, p, t: (str(t.id), t.name),
        "quarter": lambda r, p, t: (_quarter(r.starts_on), _quarter(r.starts_on)),
    }
    for req, partner, tier in rows:
        deals = deal_figures_for_request(session, req)
        row = Row(
            key=str(req.id),
            label=f"#{req.id} {req.activity_type.label} ({partner.name})",
            requests=1,
            paid=paid[req.id],
            leads=attributed_leads(session, req),
            pipeline=deals.pipeline,
            closed_won=deals.closed_won,
        )
        activities.append(row)
        for group, key_of in keys.items():
            key, label = key_of(req, partner, tier)
            groups[group].setdefault(key, Row(key=key, label=label)).add(row)
    return Report(
        activities=activities,
        by_partner=list(groups["partner"].values()),
        by_activity_type=list(groups["type"].values()),
        by_tier=list(groups["tier"].values()),
        by_quarter=sorted(groups["quarter"].values(), key=lambda r: r.key),
    )


def returns_by_partner(
    session: Session, partner_ids: list[int], starts_on: dt.date, ends_before: dt.date
) -> dict[int, Row]:
    """Paid and attributed closed-won revenue per partner, for the activities (approved or
    claimed requests) that started in ``[starts_on, ends_before)``: the scorecards' MDF return
    (``Row.return_per_unit``). The attribution rule is :func:`deal_figures_for_request`'s, read
    in four queries for all the partners at once instead of two per request."""
    out = {pid: Row(key=str(pid), label="") for pid in partner_ids}
    if not partner_ids:
        return out
    reqs = list(
        session.scalars(
            select(MdfRequest).where(
                MdfRequest.partner_id.in_(partner_ids),
                MdfRequest.status.in_([MdfRequestStatus.APPROVED, MdfRequestStatus.CLAIMED]),
                MdfRequest.starts_on >= starts_on,
                MdfRequest.starts_on < ends_before,
            )
        )
    )
    if not reqs:
        return out
    partner_of = {r.id: r.partner_id for r in reqs}
    for request_id, amount in session.execute(
        select(MdfClaim.request_id, MdfClaim.approved_amount).where(
            MdfClaim.status == MdfClaimStatus.PAID,
            MdfClaim.request_id.in_(list(partner_of)),
        )
    ):
        out[partner_of[request_id]].paid += amount or ZERO
    windows = {
        r.id: (
            dt.datetime.combine(r.starts_on, dt.time(), dt.UTC),
            dt.datetime.combine(r.claim_due_on + dt.timedelta(days=1), dt.time(), dt.UTC),
        )
        for r in reqs
    }
    earliest = min(w[0] for w in windows.values())
    latest = max(w[1] for w in windows.values())
    leads = list(
        session.execute(
            select(Lead.partner_id, Lead.utm, Lead.created_at, Lead.converted_deal_id).where(
                Lead.partner_id.in_({r.partner_id for r in reqs}),
                Lead.created_at >= earliest,
                Lead.created_at < latest,
                Lead.converted_deal_id.is_not(None),
            )
        )
    )
    leads_of: dict[int, list[tuple[str | None, dt.datetime, int]]] = defaultdict(list)
    for partner_id, utm, created_at, deal_id in leads:
        leads_of[partner_id].append(((utm or {}).get("utm_campaign"), created_at, deal_id))
    # A deal counts once for its partner, however many of its activities it matches.
    deal_of: dict[int, int] = {}
    for req in reqs:
        start, end = windows[req.id]
        tags = campaign_tags(req)
        for tag, created_at, deal_id in leads_of[req.partner_id]:
            if start <= created_at < end and tag in tags:
                deal_of[deal_id] = req.partner_id
    if deal_of:
        for deal_id, partner_id, value in session.execute(
            select(
                DealRegistration.id, DealRegistration.partner_id, DealRegistration.estimated_value
            ).where(
                DealRegistration.id.in_(list(deal_of)),
                DealRegistration.status == DealStatus.WON,
            )
        ):
            if deal_of[deal_id] == partner_id:
                out[partner_id].closed_won += value
    return out
