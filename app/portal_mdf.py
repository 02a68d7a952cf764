"""Portal pages of market development funds: balances, requests and claims with their
timelines, the vendor's approval queue, fund utilisation and ROI charts (SVG drawn on the
server: no scripts). Same pattern as ``app.portal``: parse, call the domain, commit, respond."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from flask import Blueprint, Flask, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import db
from app.auth import login_required
from app.portal import _int_arg
from app.storage import storage
from prm_domain import access
from prm_domain.access import Right
from prm_domain.enums import MdfActivity, MdfClaimStatus, MdfRequestStatus
from prm_domain.errors import Conflict, ValidationError
from prm_domain.mdf import claims, funds, ledger, requests, roi
from prm_domain.models import AuditEvent, MdfClaim, MdfFund, Partner

bp = Blueprint("portal_mdf", __name__)
PER_PAGE = 25
QUEUE = (MdfRequestStatus.SUBMITTED, MdfRequestStatus.AWAITING_SECOND_APPROVAL)


def _amount(raw: str) -> decimal.Decimal | None:
    raw = raw.strip().replace(",", "")
    if not raw:
        return None
    try:
        value = decimal.Decimal(raw)
    except decimal.InvalidOperation:
        return decimal.Decimal("NaN")  # the domain names the field
    return value


def _date(raw: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        return None


def _whole(raw: str) -> int | None:
    raw = raw.strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else None


def _refused(exc: ValidationError | Conflict) -> None:
    db.session().rollback()
    flash(" ".join([exc.message, *(f"{k}: {v}." for k, v in exc.fields.items())]), "error")


def _bars(rows: list[tuple[str, decimal.Decimal]]) -> list[dict[str, Any]]:
    """Bars of an SVG chart: label, value and width in percent of the largest."""
    top = max((v for _, v in rows), default=decimal.Decimal(0)) or decimal.Decimal(1)
    return [{"label": label, "value": v, "width": int(v * 100 / top)} for label, v in rows]


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    rows = session.execute(select(Partner.id, Partner.name).where(Partner.id.in_(ids)))
    return {pid: name for pid, name in rows}


@bp.get("/mdf")
@login_required
def overview() -> Any:
    session = db.session()
    user = g.user
    balances = funds.list_balances(session, user, per_page=200).items
    fund_by_id = {f.id: f for f in session.scalars(select(MdfFund))}
    status = request.args.get("status", "")
    chosen = MdfRequestStatus(status) if status in set(MdfRequestStatus) else None
    activity_arg = request.args.get("activity_type", "")
    activity = MdfActivity(activity_arg) if activity_arg in set(MdfActivity) else None
    reqs = requests.list_requests(
        session,
        user,
        status=chosen,
        activity_type=activity,
        page=_int_arg("page"),
        per_page=PER_PAGE,
    )
    claim_page = claims.list_claims(session, user, per_page=PER_PAGE)
    report = roi.roi_report(session, user)
    today = dt.date.today()
    due_soon = [
        r
        for r in requests.list_requests(
            session, user, status=MdfRequestStatus.APPROVED, per_page=200
        ).items
        if r.claim_due_on <= today + dt.timedelta(days=30)
    ]
    vendor = access.has(user, Right.VIEW_ALL_PARTNERS)
    utilisation = []
    if vendor:
        for fund in fund_by_id.values():
            rows = [b for b in balances if b.fund_id == fund.id]
            utilisation.append(
                {
                    "fund": fund,
                    "unallocated": ledger.from_minor(fund.unallocated_minor),
                    "bars": _bars(
                        [
                            (
                                k.capitalize(),
                                sum((b.balance(k) for b in rows), decimal.Decimal("0.00")),
                            )
                            for k in (
                                "allocated",
                                "committed",
                                "claimed",
                                "paid",
                                "expired",
                                "available",
                            )
                        ]
                    ),
                }
            )
    partner_ids = {b.partner_id for b in balances} | {r.partner_id for r in reqs.items}
    return render_template(
        "mdf/overview.html",
        vendor=vendor,
        balances=balances,
        funds=fund_by_id,
        page=reqs,
        claims=claim_page.items,
        queue=[r for r in reqs.items if r.status in QUEUE] if vendor else [],
        due_soon=due_soon,
        today=today,
        utilisation=utilisation,
        roi_type=_bars([(r.label, r.paid) for r in report.by_activity_type]),
        roi_leads=_bars([(r.label, decimal.Decimal(r.leads)) for r in report.by_activity_type]),
        roi_quarter=_bars([(r.label, r.paid) for r in report.by_quarter]),
        report=report,
        names=_names(session, partner_ids) if vendor else {},
        statuses=list(MdfRequestStatus),
        activities=list(MdfActivity),
        status=chosen,
        activity=activity,
        can_request=access.has(user, Right.REQUEST_MDF),
        attribution=roi.ATTRIBUTION,
    )


@bp.post("/mdf/requests")
@login_required
def request_create() -> Any:
    form = request.form
    values = {
        "fund_id": _whole(form.get("fund_id", "")),
        "activity_type": form.get("activity_type", ""),
        "description": form.get("description", ""),
        "starts_on": _date(form.get("starts_on", "")),
        "ends_on": _date(form.get("ends_on", "")),
        "total_cost": _amount(form.get("total_cost", "")),
        "requested_amount": _amount(form.get("requested_amount", "")),
        "expected_leads": _whole(form.get("expected_leads", "")),
        "campaign_id": _whole(form.get("campaign_id", "")),
    }
    try:
        req = requests.submit_request(db.session(), g.user, values)
    except (ValidationError, Conflict) as exc:
        _refused(exc)
        return redirect(url_for("portal_mdf.overview"))
    db.session().commit()
    flash(f"Request #{req.id} sent to the vendor for approval.", "success")
    return redirect(url_for("portal_mdf.request_detail", request_id=req.id))


@bp.get("/mdf/requests/<id:request_id>")
@login_required
def request_detail(request_id: int) -> Any:
    session = db.session()
    req = requests.get_request(session, g.user, request_id)
    fund = session.get(MdfFund, req.fund_id)
    req_claims = claims.list_claims(session, g.user, request_id=req.id, per_page=50).items
    events = list(
        session.scalars(
            select(AuditEvent)
            .where(
                ((AuditEvent.object_type == "mdf_request") & (AuditEvent.object_id == req.id))
                | (
                    (AuditEvent.object_type == "mdf_claim")
                    & AuditEvent.object_id.in_([c.id for c in req_claims])
                )
            )
            .order_by(AuditEvent.id)
        )
    )
    return render_template(
        "mdf/request.html",
        req=req,
        fund=fund,
        claims=[(c, claims.proofs_of(session, c)) for c in req_claims],
        events=events,
        partner_name=_names(session, {req.partner_id}).get(req.partner_id, ""),
        can_decide=access.has(g.user, Right.APPROVE_MDF),
        can_pay=access.has(g.user, Right.MANAGE_MDF),
        can_claim=access.has(g.user, Right.REQUEST_MDF) and req.status is MdfRequestStatus.APPROVED,
        committed=ledger.from_minor(req.open_minor),
        decidable=req.status in QUEUE,
        claim_status=MdfClaimStatus,
        today=dt.date.today(),
    )


@bp.post("/mdf/requests/<id:request_id>/decision")
@login_required
def request_decide(request_id: int) -> Any:
    session = db.session()
    requests.get_request(session, g.user, request_id)  # another tenant's: 404 first
    decision = request.form.get("decision", "")
    reason = request.form.get("reason", "")
    try:
        if decision == "approve":
            requests.approve_request(
                session, g.user, request_id, _amount(request.form.get("amount", "")), reason
            )
        elif decision == "reject":
            requests.reject_request(session, g.user, request_id, reason)
        elif decision == "changes":
            requests.request_changes(session, g.user, request_id, reason)
        else:
            raise ValidationError.for_fields({"decision": "choose approve, reject or changes"})
    except (ValidationError, Conflict) as exc:
        _refused(exc)
    else:
        session.commit()
        flash("Decision saved.", "success")
    return redirect(url_for("portal_mdf.request_detail", request_id=request_id))


@bp.post("/mdf/requests/<id:request_id>/claims")
@login_required
def claim_create(request_id: int) -> Any:
    session = db.session()
    requests.get_request(session, g.user, request_id)
    form = request.form
    proofs = [claims.ProofFile(f.filename or "", f.read()) for f in request.files.getlist("proof")]
    values = {
        "request_id": request_id,
        "amount": _amount(form.get("amount", "")),
        "actual_cost": _amount(form.get("actual_cost", "")),
        "results": form.get("results", ""),
        "leads_reported": _whole(form.get("leads_reported", "")),
    }
    try:
        claims.submit_claim(session, g.user, storage(), values, proofs, dt.date.today())
    except (ValidationError, Conflict) as exc:
        _refused(exc)
    else:
        session.commit()
        flash("Claim sent. The vendor checks the proofs and pays.", "success")
    return redirect(url_for("portal_mdf.request_detail", request_id=request_id))


@bp.post("/mdf/claims/<id:claim_id>/decision")
@login_required
def claim_decide(claim_id: int) -> Any:
    session = db.session()
    claim: MdfClaim = claims.get_claim(session, g.user, claim_id)
    request_id = claim.request_id
    decision = request.form.get("decision", "")
    reason = request.form.get("reason", "")
    try:
        if decision == "approve":
            claims.approve_claim(
                session, g.user, claim_id, _amount(request.form.get("amount", "")), reason
            )
        elif decision == "reject":
            claims.reject_claim(session, g.user, claim_id, reason)
        elif decision == "info":
            claims.request_info(session, g.user, claim_id, reason)
        elif decision == "pay":
            paid_on = _date(request.form.get("paid_on", "")) or dt.date.today()
            claims.pay_claim(session, g.user, claim_id, request.form.get("reference", ""), paid_on)
        else:
            raise ValidationError.for_fields({"decision": "choose approve, reject, info or pay"})
    except (ValidationError, Conflict) as exc:
        _refused(exc)
    else:
        session.commit()
        flash("Claim updated.", "success")
    return redirect(url_for("portal_mdf.request_detail", request_id=request_id))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
