"""Partner scorecards: the vendor's ranking (JSON and CSV) and one partner's scorecard.

Amounts are decimal strings; rates are fractions as decimal strings ("0.7500"), null when
there is nothing to divide (no closed deals, no offered or taken leads, no MDF paid).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from flask import Response, g
from pydantic import BaseModel, Field

from app import db
from app.api import bp
from app.api.framework import operation
from app.api.library import _file
from app.api.schemas import Id, Out, PageOut, PageQuery
from prm_domain import scorecards
from prm_domain.scorecards import SORTS

TAG = "scorecards"
Sort = Literal[SORTS]  # type: ignore[valid-type]


class RankingQuery(PageQuery):
    sort: Sort = Field("revenue", description="the figure to rank by; ties by name")
    order: Literal["asc", "desc"] = "desc"
    q: str | None = Field(None, max_length=200, description="search in the partner's name")
    tier_id: Id | None = None
    months: int = Field(12, ge=1, le=scorecards.MAX_MONTHS, description="trailing months")


class ExportQuery(BaseModel):
    sort: Sort = "revenue"
    order: Literal["asc", "desc"] = "desc"
    q: str | None = Field(None, max_length=200)
    tier_id: Id | None = None
    months: int = Field(12, ge=1, le=scorecards.MAX_MONTHS)


class ScorecardQuery(BaseModel):
    months: int = Field(12, ge=1, le=scorecards.MAX_MONTHS, description="trailing months")


class MetricsOut(Out):
    revenue: str
    deals_registered: int
    deals_won: int
    deals_lost: int
    win_rate: str | None
    leads_offered: int
    leads_accepted: int
    lead_acceptance: str | None
    leads_taken: int
    leads_converted: int
    lead_conversion: str | None
    certified_people: int
    mdf_paid: str
    mdf_closed_won: str
    mdf_roi: str | None
    sign_ins: int
    downloads: int
    campaign_approvals: int


class RankRowOut(Out):
    partner_id: int
    partner_name: str
    tier: str
    status: str
    metrics: MetricsOut


class RankingOut(PageOut[RankRowOut]):
    period_start: dt.date
    period_end: dt.date


class TrendOut(Out):
    month: dt.date
    revenue: str
    deals_registered: int
    deals_won: int
    leads_converted: int
    sign_ins: int
    downloads: int
    campaign_approvals: int


class ScorecardOut(Out):
    partner_id: int
    partner_name: str
    tier: str
    status: str
    period_start: dt.date
    period_end: dt.date
    metrics: MetricsOut
    previous: MetricsOut
    trends: list[TrendOut]


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _metrics_out(m: scorecards.Metrics) -> MetricsOut:
    values = {name: getattr(m, name) for name in MetricsOut.model_fields}
    return MetricsOut.model_validate(
        {k: (_text(v) if k in MONEY_OR_RATE else v) for k, v in values.items()}
    )


MONEY_OR_RATE = frozenset(
    {
        "revenue",
        "win_rate",
        "lead_acceptance",
        "lead_conversion",
        "mdf_paid",
        "mdf_closed_won",
        "mdf_roi",
    }
)


def _period(period: scorecards.Period) -> dict[str, dt.date]:
    # The last day included, as people read a period.
    return {
        "period_start": period.start.date(),
        "period_end": (period.end - dt.timedelta(days=1)).date(),
    }


def _filters(query: RankingQuery | ExportQuery) -> dict[str, Any]:
    return {
        "sort": query.sort,
        "order": query.order,
        "q": query.q or "",
        "tier_id": query.tier_id,
        "months": query.months,
    }


@operation(
    bp,
    "/scorecards",
    "GET",
    summary="Partners ranked by their scorecard figures",
    tag=TAG,
    query=RankingQuery,
    response=RankingOut,
    errors=(403,),
)
def list_scorecards(query: RankingQuery) -> RankingOut:
    period, page = scorecards.rank_partners(
        db.session(), g.user, page=query.page, per_page=query.per_page, **_filters(query)
    )
    return RankingOut(
        items=[
            RankRowOut(
                partner_id=r.partner_id,
                partner_name=r.partner_name,
                tier=r.tier,
                status=r.status,
                metrics=_metrics_out(r.metrics),
            )
            for r in page.items
        ],
        total=page.total,
        page=page.page,
        per_page=page.per_page,
        **_period(period),
    )


@operation(
    bp,
    "/scorecards/export",
    "GET",
    summary="The whole ranking as CSV",
    tag=TAG,
    query=ExportQuery,
    errors=(403,),
    produces=("text/csv",),
)
def export_scorecards(query: ExportQuery) -> Response:
    data = scorecards.export_ranking(db.session(), g.user, **_filters(query))
    return _file(data, "text/csv; charset=utf-8", "scorecards.csv")


@operation(
    bp,
    "/scorecards/<id:partner_id>",
    "GET",
    summary="One partner's scorecard with its monthly trends",
    tag=TAG,
    query=ScorecardQuery,
    response=ScorecardOut,
    errors=(403, 404),
)
def get_scorecard(partner_id: int, query: ScorecardQuery) -> ScorecardOut:
    card = scorecards.get_scorecard(db.session(), g.user, partner_id, months=query.months)
    return ScorecardOut(
        partner_id=card.partner_id,
        partner_name=card.partner_name,
        tier=card.tier,
        status=card.status,
        metrics=_metrics_out(card.metrics),
        previous=_metrics_out(card.previous),
        trends=[
            TrendOut.model_validate({**vars(p), "revenue": str(p.revenue)}) for p in card.trends
        ],
        **_period(card.period),
    )
