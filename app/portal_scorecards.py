"""Portal pages of partner scorecards: the vendor's ranking (sortable, searchable, by tier) and
one partner's scorecard with its change against the period before and monthly charts (SVG
drawn on the server with the MDF charts' macro: no scripts). A partner's people get their own
organisation's scorecard as "My scorecard". Same pattern as ``app.portal``: parse, call the
domain, respond (nothing here writes)."""

from __future__ import annotations

import decimal
from typing import Any

from flask import Blueprint, Flask, g, render_template, request

from app import db
from app.auth import login_required
from app.portal import _digits, _int_arg
from app.portal_mdf import _bars
from prm_domain import scorecards, tiers
from prm_domain.errors import ValidationError
from prm_domain.scorecards import Metrics, Scorecard

bp = Blueprint("portal_scorecards", __name__)
PER_PAGE = 25

# The ranking's columns: (sort key, heading); MDF return is shown, not sorted on.
COLUMNS = (
    ("name", "Partner"),
    ("revenue", "Revenue"),
    ("deals_registered", "Deals registered"),
    ("deals_won", "Deals won"),
    ("win_rate", "Win rate"),
    ("lead_acceptance", "Lead acceptance"),
    ("lead_conversion", "Lead conversion"),
    ("certified_people", "Certified people"),
    ("sign_ins", "Sign-ins"),
    ("downloads", "Downloads"),
    ("campaign_approvals", "Campaign approvals"),
)

# The scorecard's cards: (figure, label, kind) where kind says how to show it and its change.
CARDS = (
    ("revenue", "Revenue (closed won)", "money"),
    ("deals_registered", "Deals registered", "count"),
    ("deals_won", "Deals won", "count"),
    ("win_rate", "Win rate", "rate"),
    ("lead_acceptance", "Lead acceptance", "rate"),
    ("lead_conversion", "Lead conversion", "rate"),
    ("certified_people", "Certified people", "count"),
    ("mdf_roi", "MDF return per unit paid", "ratio"),
    ("sign_ins", "Sign-ins", "count"),
    ("downloads", "Downloads", "count"),
    ("campaign_approvals", "Campaign approvals", "count"),
)

CHARTS = (
    ("revenue", "Revenue won per month"),
    ("deals_registered", "Deals registered per month"),
    ("deals_won", "Deals won per month"),
    ("leads_converted", "Leads converted per month"),
    ("sign_ins", "Sign-ins per month"),
    ("downloads", "Downloads per month"),
    ("campaign_approvals", "Campaign approvals per month"),
)


def show(value: Any, kind: str) -> str:
    """A figure as people read it: rates in percent, money with thousands separators."""
    if value is None:
        return "\u2013"  # an en dash: nothing to show
    if kind == "rate":
        return f"{value * 100:.1f}%"
    if kind == "money":
        return f"{value:,.2f}"
    if kind == "ratio":
        return f"{value:.2f}\u00d7"  # a multiplication sign: times the amount paid
    return f"{int(value):,}"


def _change(now: Any, before: Any, kind: str) -> dict[str, str]:
    """The change against the previous period, in words and a direction for the arrow."""
    if now is None or before is None:
        return {"text": "no comparison", "direction": "flat"}
    diff = now - before
    direction = "up" if diff > 0 else "down" if diff < 0 else "flat"
    if kind == "rate":
        text = f"{diff * 100:+.1f} points"
    elif kind == "money":
        text = f"{diff:+,.2f}"
    elif kind == "ratio":
        text = f"{diff:+.2f}"
    else:
        text = f"{diff:+,}"
    return {"text": text, "direction": direction}


def _cards(card: Scorecard) -> list[dict[str, Any]]:
    out = []
    for name, label, kind in CARDS:
        now, before = getattr(card.metrics, name), getattr(card.previous, name)
        out.append(
            {
                "name": name,
                "label": label,
                "value": show(now, kind),
                "previous": show(before, kind),
                "change": _change(now, before, kind),
                "detail": _detail(card.metrics, name),
            }
        )
    return out


def _detail(m: Metrics, name: str) -> str:
    return {
        "win_rate": f"{m.deals_won} won, {m.deals_lost} lost",
        "lead_acceptance": f"{m.leads_accepted} of {m.leads_offered} offered",
        "lead_conversion": f"{m.leads_converted} of {m.leads_taken} taken",
        "mdf_roi": f"{m.mdf_closed_won:,.2f} won on {m.mdf_paid:,.2f} paid",
    }.get(name, "")


def _charts(card: Scorecard) -> list[dict[str, Any]]:
    charts = []
    for name, title in CHARTS:
        rows = [(f"{p.month:%b %Y}", decimal.Decimal(getattr(p, name))) for p in card.trends]
        bars = _bars(rows)
        for bar in bars:  # the label beside each bar, as the cards write it
            bar["value"] = show(bar["value"], "money" if name == "revenue" else "count")
        charts.append({"title": title, "rows": bars, "empty": not any(v for _, v in rows)})
    return charts


def _scorecard_page(partner_id: int) -> Any:
    card = scorecards.get_scorecard(db.session(), g.user, partner_id)
    return render_template(
        "scorecards/detail.html",
        card=card,
        cards=_cards(card),
        charts=_charts(card),
        previous=scorecards.previous(card.period),
        own=g.user.partner_id == partner_id,
        partner_id=partner_id,
    )


@bp.get("/scorecards")
@login_required
def ranking() -> Any:
    if not g.user.is_vendor:
        # A partner's ranking is its own row: "My scorecard" shows it whole.
        return _scorecard_page(g.user.partner_id or 0)
    sort = request.args.get("sort", "revenue")
    sort = sort if sort in scorecards.SORTS else "revenue"
    order = "asc" if request.args.get("order") == "asc" else "desc"
    filters: dict[str, Any] = {
        "q": request.args.get("q", "").strip()[:200],
        "tier_id": _digits(request.args.get("tier_id", ""), 9),
    }
    errors: dict[str, str] = {}
    try:
        period, page = scorecards.rank_partners(
            db.session(),
            g.user,
            sort=sort,
            order=order,
            page=_int_arg("page"),
            per_page=PER_PAGE,
            **filters,
        )
    except ValidationError as exc:
        # Only the search text is free input here: say what is wrong with it beside the box,
        # and show the ranking unsearched.
        errors = {"q": "The search " + exc.fields.get("q", "cannot be used") + "."}
        filters["q"] = ""
        period, page = scorecards.rank_partners(
            db.session(), g.user, sort=sort, order=order, per_page=PER_PAGE, **filters
        )
    return render_template(
        "scorecards/ranking.html",
        page=page,
        period=period,
        sort=sort,
        order=order,
        filters=filters,
        columns=COLUMNS,
        tiers=tiers.list_tiers(db.session(), g.user),
        show=show,
        errors=errors,
    )


@bp.get("/scorecards/<id:partner_id>")
@login_required
def scorecard(partner_id: int) -> Any:
    return _scorecard_page(partner_id)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
