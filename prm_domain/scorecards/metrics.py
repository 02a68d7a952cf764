"""What each partner brought in a period, its monthly trends, and the
vendor's ranking of partners by any of it.

Every figure is a SQL aggregate grouped by partner (the ranking) or by month (the trends), so a
ranking page is two queries however many partners there are: the page's ids by the sort key,
then every figure for those partners. Definitions (docs/scorecards.md):

- revenue: the estimated value of deals won in the period (a won or lost deal's close is its
  ``decided_at``); deals registered: created in the period; win rate: won / (won + lost).
- lead acceptance: of the leads offered to the partner by routing in the period and answered
  (accepted, declined or timed out), the share it accepted; claims from the pool are its own
  choice and not counted. Lead conversion: of the leads the partner took in the period
  (accepted, working, converted, lost), the share converted to a deal registration.
- certified people: people holding a certification unexpired at the period's end.
- MDF return: attributed closed-won revenue per unit paid (``prm_domain.mdf.roi``).
- engagement: sign-ins (``SignIn``, one per sign-in), asset downloads, campaign enrolments
  approved.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import io
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import Any

from sqlalchemy import (
    BigInteger,
    BindParameter,
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from prm_domain import access, spreadsheet, validation
from prm_domain.base import utcnow
from prm_domain.enums import LEAD_OWNED_STATES, DealStatus, LeadState, OfferOutcome
from prm_domain.errors import NotFound, ValidationError
from prm_domain.mdf import roi
from prm_domain.models import (
    AssetDownload,
    Certification,
    DealRegistration,
    Enrolment,
    Lead,
    LeadOffer,
    Partner,
    SignIn,
    Tier,
    User,
)
from prm_domain.pagination import MAX_PAGE, MAX_PER_PAGE, Page

ZERO = decimal.Decimal("0.00")
RATIO = decimal.Decimal("0.0001")
TREND_MONTHS = 12
MAX_MONTHS = 36
ANSWERED = (OfferOutcome.ACCEPTED, OfferOutcome.DECLINED, OfferOutcome.EXPIRED)


@dataclass(frozen=True)
class Period:
    """``[start, end)`` in UTC, whole calendar months."""

    start: dt.datetime
    end: dt.datetime

    @property
    def label(self) -> str:
        last = self.end - dt.timedelta(days=1)
        return f"{self.start:%b %Y} to {last:%b %Y}"


def _month_start(day: dt.date, back: int = 0) -> dt.datetime:
    index = day.year * 12 + day.month - 1 - back
    return dt.datetime(index // 12, index % 12 + 1, 1, tzinfo=dt.UTC)


def trailing(months: int = 12, today: dt.date | None = None) -> Period:
    """The last ``months`` calendar months, the current one included."""
    if not isinstance(months, int) or isinstance(months, bool) or not 1 <= months <= MAX_MONTHS:
        raise validation.fail("months", f"must be a whole number from 1 to {MAX_MONTHS}")
    today = today or utcnow().date()
    return Period(_month_start(today, months - 1), _month_start(today, -1))


def previous(period: Period) -> Period:
    """The period of the same number of months just before ``period``."""
    months = (period.end.year - period.start.year) * 12 + period.end.month - period.start.month
    return Period(_month_start(period.start.date(), months), period.start)


@dataclass
class Metrics:
    revenue: decimal.Decimal = ZERO
    deals_registered: int = 0
    deals_won: int = 0
    deals_lost: int = 0
    leads_offered: int = 0
    leads_accepted: int = 0
    leads_taken: int = 0
    leads_converted: int = 0
    certified_people: int = 0
    sign_ins: int = 0
    downloads: int = 0
    campaign_approvals: int = 0
    mdf_paid: decimal.Decimal = ZERO
    mdf_closed_won: decimal.Decimal = ZERO

    @property
    def win_rate(self) -> decimal.Decimal | None:
        return _ratio(self.deals_won, self.deals_won + self.deals_lost)

    @property
    def lead_acceptance(self) -> decimal.Decimal | None:
        return _ratio(self.leads_accepted, self.leads_offered)

    @property
    def lead_conversion(self) -> decimal.Decimal | None:
        return _ratio(self.leads_converted, self.leads_taken)

    @property
    def mdf_roi(self) -> decimal.Decimal | None:
        """Closed-won revenue per unit of MDF paid; None when nothing was paid."""
        row = roi.Row(key="", label="", paid=self.mdf_paid, closed_won=self.mdf_closed_won)
        return row.return_per_unit


def _ratio(part: int, whole: int) -> decimal.Decimal | None:
    """``part / whole`` to four places (half up); None when there is nothing to divide."""
    if not whole:
        return None
    return (decimal.Decimal(part) / decimal.Decimal(whole)).quantize(
        RATIO, rounding=decimal.ROUND_HALF_UP
    )


@dataclass
class RankRow:
    partner_id: int
    partner_name: str
    tier: str
    status: str
    metrics: Metrics


@dataclass
class TrendPoint:
    month: dt.date
    revenue: decimal.Decimal = ZERO
    deals_registered: int = 0
    deals_won: int = 0
    leads_converted: int = 0
    sign_ins: int = 0
    downloads: int = 0
    campaign_approvals: int = 0


@dataclass
class Scorecard:
    partner_id: int
    partner_name: str
    tier: str
    status: str
    period: Period
    metrics: Metrics
    previous: Metrics
    trends: list[TrendPoint] = field(default_factory=list)


# -- the aggregates ------------------------------------------------------------------------


def _cents(column: Any) -> ColumnElement[int]:
    # Money is text on SQLite (ExactDecimal): SUM would add floats. Whole cents add exactly on
    # both backends (values have two places and fit far inside a float's exact integers).
    return cast(func.round(column * literal_column("100")), BigInteger)


def _money(cents: int | decimal.Decimal | None) -> decimal.Decimal:
    return (decimal.Decimal(int(cents or 0)) / 100).quantize(ZERO)


@dataclass(frozen=True)
class _Bounds:
    """The period as bound parameters, so a figures statement is built once and reused:
    execute it with ``_params(period)``."""

    start: Any
    end: Any
    # Certifications count when unexpired at the period's end, or now if that is earlier.
    valid_at: Any


BOUNDS = _Bounds(bindparam("sc_start"), bindparam("sc_end"), bindparam("sc_valid_at"))


def _params(period: Period) -> dict[str, Any]:
    return {
        "sc_start": period.start,
        "sc_end": period.end,
        "sc_valid_at": min(period.end, utcnow()),
    }


def _within(column: Any, period: Period | _Bounds) -> ColumnElement[bool]:
    return and_(column >= period.start, column < period.end)


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


# The partners whose figures are wanted: a statement selecting their ids, or an expanding
# bound parameter (``sc_ids``) for a page's ids or one partner's, which the planner takes
# straight to the (partner_id, date) indexes.
Partners = Select[Any] | BindParameter[Any]
IDS: BindParameter[list[int]] = bindparam("sc_ids", expanding=True)


def _subqueries(partner_ids: Partners) -> dict[str, Any]:
    """One grouped subquery per source table, each ``(partner_id, figures...)`` for the
    partners ``partner_ids`` selects, in the period ``BOUNDS`` (``_params``)."""

    def of(column: Any) -> ColumnElement[bool]:
        return column.in_(partner_ids)  # type: ignore[no-any-return]

    period = BOUNDS
    deal = DealRegistration
    won = and_(deal.status == DealStatus.WON, _within(deal.decided_at, period))
    lost = and_(deal.status == DealStatus.LOST, _within(deal.decided_at, period))
    deals = (
        select(
            deal.partner_id.label("partner_id"),
            _count_if(_within(deal.created_at, period)).label("deals_registered"),
            _count_if(won).label("deals_won"),
            _count_if(lost).label("deals_lost"),
            func.coalesce(func.sum(case((won, _cents(deal.estimated_value)), else_=0)), 0).label(
                "revenue_cents"
            ),
        )
        .where(
            of(deal.partner_id),
            or_(_within(deal.created_at, period), _within(deal.decided_at, period)),
        )
        .group_by(deal.partner_id)
        .subquery("sc_deals")
    )
    offers = (
        select(
            LeadOffer.partner_id.label("partner_id"),
            func.count().label("leads_offered"),
            _count_if(LeadOffer.outcome == OfferOutcome.ACCEPTED).label("leads_accepted"),
        )
        .where(
            of(LeadOffer.partner_id),
            LeadOffer.outcome.in_(ANSWERED),
            _within(LeadOffer.offered_at, period),
        )
        .group_by(LeadOffer.partner_id)
        .subquery("sc_offers")
    )
    leads = (
        select(
            Lead.partner_id.label("partner_id"),
            func.count().label("leads_taken"),
            _count_if(Lead.state == LeadState.CONVERTED).label("leads_converted"),
        )
        .where(
            of(Lead.partner_id),
            Lead.state.in_(LEAD_OWNED_STATES),
            _within(Lead.created_at, period),
        )
        .group_by(Lead.partner_id)
        .subquery("sc_leads")
    )
    certified = (
        select(
            Certification.partner_id.label("partner_id"),
            func.count(func.distinct(Certification.user_id)).label("certified_people"),
        )
        .where(
            of(Certification.partner_id),
            Certification.granted_at < period.end,
            Certification.expires_at >= period.valid_at,
        )
        .group_by(Certification.partner_id)
        .subquery("sc_certified")
    )
    sign_ins = (
        select(SignIn.partner_id.label("partner_id"), func.count().label("sign_ins"))
        .where(
            of(SignIn.partner_id),
            _within(SignIn.at, period),
        )
        .group_by(SignIn.partner_id)
        .subquery("sc_sign_ins")
    )
    downloads = (
        select(AssetDownload.partner_id.label("partner_id"), func.count().label("downloads"))
        .where(of(AssetDownload.partner_id), _within(AssetDownload.at, period))
        .group_by(AssetDownload.partner_id)
        .subquery("sc_downloads")
    )
    approvals = (
        select(Enrolment.partner_id.label("partner_id"), func.count().label("campaign_approvals"))
        .where(of(Enrolment.partner_id), _within(Enrolment.approved_at, period))
        .group_by(Enrolment.partner_id)
        .subquery("sc_approvals")
    )
    return {
        "deals": deals,
        "offers": offers,
        "leads": leads,
        "certified": certified,
        "sign_ins": sign_ins,
        "downloads": downloads,
        "approvals": approvals,
    }


COUNTS = (
    ("deals", "deals_registered"),
    ("deals", "deals_won"),
    ("deals", "deals_lost"),
    ("offers", "leads_offered"),
    ("offers", "leads_accepted"),
    ("leads", "leads_taken"),
    ("leads", "leads_converted"),
    ("certified", "certified_people"),
    ("sign_ins", "sign_ins"),
    ("downloads", "downloads"),
    ("approvals", "campaign_approvals"),
)


def _ranking_stmt(partner_ids: Partners) -> tuple[Select[Any], dict[str, Any]]:
    # The per-table groups go into one UNION ALL summed per partner, joined to the partners
    # once: seven outer joins would make the planner multiply their row estimates into the
    # millions, and Postgres then spends more time JIT-compiling the plan than running it.
    subs = _subqueries(partner_ids)
    names = [name for _, name in COUNTS] + ["revenue_cents"]
    branches = [
        select(
            sub.c.partner_id,
            *(
                (sub.c[name] if name in sub.c else literal_column("0")).label(name)
                for name in names
            ),
        )
        for sub in subs.values()
    ]
    every = union_all(*branches).subquery("sc_every")
    summed = (
        select(every.c.partner_id, *(func.sum(every.c[name]).label(name) for name in names))
        .group_by(every.c.partner_id)
        .subquery("sc_figures")
    )
    columns: dict[str, Any] = {name: func.coalesce(summed.c[name], 0) for name in names}
    stmt = (
        select(Partner.id, Partner.name, Tier.name, Partner.status, *columns.values())
        .join(Tier, Tier.id == Partner.tier_id)
        .outerjoin(summed, summed.c.partner_id == Partner.id)
    )
    return stmt.where(Partner.id.in_(partner_ids)), columns


@functools.cache
def _figures_of_ids() -> Select[Any]:
    """Every figure for the partners listed in ``sc_ids``: built once (building it costs
    more than running it for a page)."""
    return _ranking_stmt(IDS)[0]


def _figures(session: Session, period: Period, ids: list[int]) -> list[RankRow]:
    """The rows of the partners ``ids``, in that order."""
    stmt = _figures_of_ids()
    found = {row.partner_id: row for row in _rows(session, stmt, _params(period) | {"sc_ids": ids})}
    return [found[pid] for pid in ids]


def _metrics(values: Any) -> Metrics:
    names = [name for _, name in COUNTS]
    metrics = Metrics(revenue=_money(values[len(names)]))
    for name, value in zip(names, values, strict=False):
        setattr(metrics, name, int(value or 0))
    return metrics


def _rows(session: Session, stmt: Select[Any], params: dict[str, Any]) -> Iterator[RankRow]:
    for pid, name, tier, status, *values in session.execute(stmt, params):
        yield RankRow(pid, name, tier, status.value, _metrics(values))


def _add_mdf(session: Session, rows: list[RankRow], period: Period) -> None:
    returns = roi.returns_by_partner(
        session, [r.partner_id for r in rows], period.start.date(), period.end.date()
    )
    for row in rows:
        row.metrics.mdf_paid = returns[row.partner_id].paid
        row.metrics.mdf_closed_won = returns[row.partner_id].closed_won


# -- the ranking ---------------------------------------------------------------------------

SORTS = (
    "name",
    "revenue",
    "deals_registered",
    "deals_won",
    "win_rate",
    "lead_acceptance",
    "lead_conversion",
    "certified_people",
    "sign_ins",
    "downloads",
    "campaign_approvals",
)


def _ratio_sql(part: Any, whole: Any) -> ColumnElement[Any]:
    ratio: ColumnElement[Any] = (part * literal_column("1.0")) / func.nullif(whole, 0)
    return ratio


def rank_partners(
    session: Session,
    actor: User,
    *,
    sort: str = "revenue",
    order: str = "desc",
    q: str = "",
    tier_id: int | None = None,
    months: int = 12,
    page: int = 1,
    per_page: int = 50,
    today: dt.date | None = None,
    whole: bool = False,
) -> tuple[Period, Page[RankRow]]:
    """The partners the actor may see, each with its figures for the trailing ``months``,
    sorted by one of ``SORTS`` (ties by name), a page at a time. MDF return is added for the
    page's partners (its attribution reads lead tags, so it is not a sort key)."""
    problems: dict[str, str] = {}
    if sort not in SORTS:
        problems["sort"] = "must be one of: " + ", ".join(SORTS)
    if order not in ("asc", "desc"):
        problems["order"] = 'must be "asc" or "desc"'
    try:
        q = validation.text("q", q, max_len=200, required=False)
    except ValidationError as exc:
        problems.update(exc.fields)
    if not 1 <= page <= MAX_PAGE:
        problems["page"] = f"must be between 1 and {MAX_PAGE}"
    if not 1 <= per_page <= MAX_PER_PAGE:
        problems["per_page"] = f"must be between 1 and {MAX_PER_PAGE}"
    try:
        period = trailing(months, today)
    except ValidationError as exc:
        problems.update(exc.fields)
    if problems:
        raise ValidationError.for_fields(problems)
    chosen = select(Partner.id).where(access.scorecard_scope(actor, Partner.id))
    if q:
        chosen = chosen.where(Partner.name.ilike(validation.contains_pattern(q), escape="\\"))
    if tier_id is not None:
        chosen = chosen.where(Partner.tier_id == tier_id)
    total = session.scalar(select(func.count()).select_from(chosen.subquery())) or 0
    if whole:
        # Every figure of every partner is wanted: one statement aggregates them all.
        stmt, columns = _ranking_stmt(chosen)
        key = _sort_keys(columns)[sort]
        stmt = stmt.order_by(*_order(key, order))
        rows = list(_rows(session, stmt, _params(period)))
    else:
        rows = _page_rows(session, period, chosen, sort, order, page, per_page)
    _add_mdf(session, rows, period)
    return period, Page(items=rows, total=total, page=page, per_page=per_page)


# The source table each sort key is read from ("name" needs none).
SORT_SOURCES = {
    "revenue": "deals",
    "deals_registered": "deals",
    "deals_won": "deals",
    "win_rate": "deals",
    "lead_acceptance": "offers",
    "lead_conversion": "leads",
    "certified_people": "certified",
    "sign_ins": "sign_ins",
    "downloads": "downloads",
    "campaign_approvals": "approvals",
}


def _sort_keys(columns: dict[str, Any]) -> dict[str, Any]:
    """The SQL of each sort key over the figure ``columns`` present (missing ones are 0)."""

    def col(name: str) -> Any:
        return columns.get(name, literal_column("0"))

    return {
        "name": func.lower(Partner.name),
        "revenue": col("revenue_cents"),
        "win_rate": _ratio_sql(col("deals_won"), col("deals_won") + col("deals_lost")),
        "lead_acceptance": _ratio_sql(col("leads_accepted"), col("leads_offered")),
        "lead_conversion": _ratio_sql(col("leads_converted"), col("leads_taken")),
        **{name: col(name) for _, name in COUNTS if name in SORTS},
    }


def _order(key: Any, order: str) -> tuple[Any, ...]:
    ordered = key.asc() if order == "asc" else key.desc()
    return (ordered.nulls_last(), func.lower(Partner.name), Partner.id)


def _page_rows(
    session: Session,
    period: Period,
    chosen: Select[Any],
    sort: str,
    order: str,
    page: int,
    per_page: int,
) -> list[RankRow]:
    """One page in two steps: the page's partner ids ordered by the sort key, which reads
    only the one table that key comes from (none for "name"), then every figure for just
    those partners, which the (partner_id, date) indexes find without reading the year."""
    ids_stmt = select(Partner.id).where(Partner.id.in_(chosen))
    columns: dict[str, Any] = {}
    source = SORT_SOURCES.get(sort)
    if source is not None:
        sub = _subqueries(chosen)[source]
        ids_stmt = ids_stmt.outerjoin(sub, sub.c.partner_id == Partner.id)
        columns = {
            name: func.coalesce(sub.c[name], 0)
            for name in [*(n for _, n in COUNTS), "revenue_cents"]
            if name in sub.c
        }
    ids_stmt = ids_stmt.order_by(*_order(_sort_keys(columns)[sort], order))
    ids_stmt = ids_stmt.limit(per_page).offset((page - 1) * per_page)
    ids = list(session.scalars(ids_stmt, _params(period)))
    return _figures(session, period, ids) if ids else []


EXPORT_COLUMNS = (
    "partner_id",
    "partner",
    "tier",
    "status",
    "revenue",
    "deals_registered",
    "deals_won",
    "deals_lost",
    "win_rate",
    "leads_offered",
    "leads_accepted",
    "lead_acceptance",
    "leads_taken",
    "leads_converted",
    "lead_conversion",
    "certified_people",
    "mdf_paid",
    "mdf_closed_won",
    "mdf_roi",
    "sign_ins",
    "downloads",
    "campaign_approvals",
)


def export_ranking(session: Session, actor: User, **filters: Any) -> bytes:
    """The whole ranking (every page, same filters and order) as CSV, cells made inert."""
    _, page = rank_partners(session, actor, whole=True, **filters)
    out = io.StringIO()
    writer = spreadsheet.csv_writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for row in page.items:
        m = row.metrics
        values: dict[str, Any] = {
            "partner_id": row.partner_id,
            "partner": row.partner_name,
            "tier": row.tier,
            "status": row.status,
            **{name: getattr(m, name) for name in EXPORT_COLUMNS[4:]},
        }
        writer.writerow([spreadsheet.inert_cell("" if v is None else v) for v in values.values()])
    return out.getvalue().encode("utf-8")


# -- one partner's scorecard ---------------------------------------------------------------


def _month_bucket(column: Any, starts: list[dt.datetime]) -> ColumnElement[Any]:
    """The index of the month ``column`` falls in (its ``starts``), as portable SQL: a CASE
    over bound UTC instants, not a dialect's date formatting in the session's time zone."""
    return case(
        *((column < starts[i + 1], i) for i in range(len(starts) - 1)),
        else_=len(starts) - 1,
    )


def _trends(session: Session, partner_id: int, today: dt.date) -> list[TrendPoint]:
    starts = [_month_start(today, back) for back in range(TREND_MONTHS - 1, -1, -1)]
    span = Period(starts[0], _month_start(today, -1))
    points = [TrendPoint(month=s.date()) for s in starts]

    def grouped(column: Any, *figures: Any, where: Any) -> Iterator[Any]:
        bucket = _month_bucket(column, starts).label("bucket")
        stmt = select(bucket, *figures).where(where, _within(column, span)).group_by(bucket)
        yield from session.execute(stmt)

    deal = DealRegistration
    for i, n in grouped(deal.created_at, func.count(), where=deal.partner_id == partner_id):
        points[i].deals_registered = n
    for i, n, cents in grouped(
        deal.decided_at,
        func.count(),
        func.sum(_cents(deal.estimated_value)),
        where=and_(deal.partner_id == partner_id, deal.status == DealStatus.WON),
    ):
        points[i].deals_won = n
        points[i].revenue = _money(cents)
    for i, n in grouped(
        Lead.created_at,
        func.count(),
        where=and_(Lead.partner_id == partner_id, Lead.state == LeadState.CONVERTED),
    ):
        points[i].leads_converted = n
    for i, n in grouped(
        SignIn.at,
        func.count(),
        where=SignIn.partner_id == partner_id,
    ):
        points[i].sign_ins = n
    for i, n in grouped(
        AssetDownload.at, func.count(), where=AssetDownload.partner_id == partner_id
    ):
        points[i].downloads = n
    for i, n in grouped(
        Enrolment.approved_at, func.count(), where=Enrolment.partner_id == partner_id
    ):
        points[i].campaign_approvals = n
    return points


def get_scorecard(
    session: Session,
    actor: User,
    partner_id: int,
    *,
    months: int = 12,
    today: dt.date | None = None,
) -> Scorecard:
    """One partner's figures for the trailing ``months``, the same for the months before
    (for the change), and twelve monthly points for the charts."""
    access.ensure_can_view_scorecard(actor, partner_id)
    partner = session.get(Partner, partner_id)
    if partner is None:
        raise NotFound("Partner not found.")
    today = today or utcnow().date()
    period = trailing(months, today)
    before = previous(period)
    figures = []
    for p in (period, before):
        rows = _figures(session, p, [partner.id])
        _add_mdf(session, rows, p)
        figures.append(rows[0].metrics)
    return Scorecard(
        partner_id=partner.id,
        partner_name=partner.name,
        tier=partner.tier.name,
        status=partner.status.value,
        period=period,
        metrics=figures[0],
        previous=figures[1],
        trends=_trends(session, partner.id, today),
    )


METRIC_FIELDS = tuple(f.name for f in fields(Metrics))
