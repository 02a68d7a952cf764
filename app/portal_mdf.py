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
    """A typed whole number; None when empty, -1 (which the domain refuses, naming the field)
    when it is not one."""
    raw = raw.strip()
    if not raw:
        return None
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else -1


# How the forms name their fields to people: a domain message ("must not be more than the
# total cost") follows the field's name. Keys the domain names that no form has (request_id:
# the claim deadline) become a message above the form.
FIELD_NAMES = {
    "fund_id": "The fund",
    "activity_type": "The activity",
    "description": "The description",
    "starts_on": "The first day",
    "ends_on": "The last day",
    "total_cost": "The total cost",
    "requested_amount": "The requested amount",
    "expected_leads": "The expected number of leads",
    "expected_pipeline": "The expected pipeline",
    "campaign_id": "The campaign number",
    "amount": "The amount",
    "actual_cost": "The actual cost",
    "results": "The results",
    "leads_reported": "The number of leads",
    "note": "The note",
    "proof": "The files",
    "reason": "The reason",
    "reference": "The payment reference",
}
# Where the API lists raw values a form never shows, the portal says it in its own words.
OWN_WORDS = {
    "activity_type": "Choose an activity from the list.",
    "fund_id": "Choose one of the funds you hold money in.",
    "decision": "Choose a decision from the list.",
}


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "?", "!")) else ".")


def _form_errors(
    exc: ValidationError, filenames: list[str] | None = None
) -> tuple[dict[str, str], list[str]]:
    """The domain's refusal as sentences next to the fields, and the rest above the form."""
    errors: dict[str, str] = {}
    above: list[str] = [] if exc.fields else [_sentence(exc.message)]
    for key, why in exc.fields.items():
        field, _, index = key.partition(".")
        if field == "available":  # the figure is in the field's own message already
            continue
        if field in OWN_WORDS:
            errors[field] = OWN_WORDS[field]
            continue
        if field not in FIELD_NAMES:
            above.append(_sentence(why))
            continue
        if field == "proof" and index.isdigit():
            n = int(index)
            name = (filenames or [])[n] if n < len(filenames or []) else ""
            said = _sentence(f"“{name or f'File {n + 1}'}” {why}")
        elif why.split(" ", 1)[0] in {"is", "must", "has", "was", "needs"}:
            said = _sentence(f"{FIELD_NAMES[field]} {why}")
        else:
            said = _sentence(why)
        errors[field] = f"{errors[field]} {said}" if field in errors else said
    return errors, above


def _refused(exc: ValidationError | Conflict) -> None:
    """A refused decision (the vendor's one-select forms): the reasons as a message."""
    db.session().rollback()
    if isinstance(exc, ValidationError):
        errors, above = _form_errors(exc)
        flash(" ".join([*above, *errors.values()]) or _sentence(exc.message), "error")
    else:
        flash(_sentence(exc.message), "error")


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
    return _overview()


def _overview(
    form: Any = None, errors: dict[str, str] | None = None, above: list[str] | None = None
) -> Any:
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
    # Claims in progress settle their request: only requests still to claim are due.
    in_progress = {
        c.request_id
        for c in claims.list_claims(session, user, per_page=200).items
        if c.status not in (MdfClaimStatus.REJECTED,)
    }
    due_soon = [
        r
        for r in requests.list_requests(
            session, user, status=MdfRequestStatus.APPROVED, per_page=200
        ).items
        if r.claim_due_on <= today + dt.timedelta(days=30) and r.id not in in_progress
    ]
    # What waits for the partner's answer: claims the vendor asked about, requests sent back.
    asked = [
        *claims.list_claims(session, user, status=MdfClaimStatus.INFO_REQUESTED, per_page=50).items,
        *requests.list_requests(
            session, user, status=MdfRequestStatus.CHANGES_REQUESTED, per_page=50
        ).items,
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
    # The queue is every request waiting for a decision (the table's filter on the activity
    # applies), not just those on the table's page.
    queue = (
        [
            r
            for waiting in QUEUE
            for r in requests.list_requests(
                session, user, status=waiting, activity_type=activity, per_page=100
            ).items
        ]
        if vendor
        else []
    )
    partner_ids = (
        {b.partner_id for b in balances}
        | {r.partner_id for r in reqs.items}
        | {r.partner_id for r in queue}
    )
    return render_template(
        "mdf/overview.html",
        vendor=vendor,
        balances=balances,
        funds=fund_by_id,
        page=reqs,
        claims=claim_page.items,
        queue=queue,
        roi_partner=_bars([(r.label, r.paid) for r in report.by_partner]) if vendor else [],
        roi_tier=_bars([(r.label, r.paid) for r in report.by_tier]) if vendor else [],
        due_soon=due_soon,
        asked=asked if access.has(user, Right.REQUEST_MDF) else [],
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
        form=form or {},
        errors=errors or {},
        above=above or [],
    ), (422 if errors or above else 200)


def _request_values(form: Any) -> dict[str, Any]:
    """What the request forms (new, changed) send, parsed; the domain checks it."""
    return {
        "activity_type": form.get("activity_type", ""),
        "description": form.get("description", ""),
        "starts_on": _date(form.get("starts_on", "")),
        "ends_on": _date(form.get("ends_on", "")),
        "total_cost": _amount(form.get("total_cost", "")),
        "requested_amount": _amount(form.get("requested_amount", "")),
        "expected_leads": _whole(form.get("expected_leads", "")),
        "expected_pipeline": _amount(form.get("expected_pipeline", "")),
        "campaign_id": _whole(form.get("campaign_id", "")),
    }


@bp.post("/mdf/requests")
@login_required
def request_create() -> Any:
    form = request.form
    values = {"fund_id": _whole(form.get("fund_id", "")), **_request_values(form)}
    try:
        req = requests.submit_request(db.session(), g.user, values)
    except ValidationError as exc:
        db.session().rollback()
        return _overview(form, *_form_errors(exc))
    except Conflict as exc:
        _refused(exc)
        return redirect(url_for("portal_mdf.overview"))
    db.session().commit()
    flash(f"Request #{req.id} sent to the vendor for approval.", "success")
    return redirect(url_for("portal_mdf.request_detail", request_id=req.id))


@bp.get("/mdf/requests/<id:request_id>")
@login_required
def request_detail(request_id: int) -> Any:
    return _request_page(request_id)


def _request_page(
    request_id: int,
    *,
    claim_form: Any = None,
    claim_errors: tuple[dict[str, str], list[str]] | None = None,
    answer_to: int | None = None,
    answer_form: Any = None,
    answer_errors: tuple[dict[str, str], list[str]] | None = None,
    change_form: Any = None,
    change_errors: tuple[dict[str, str], list[str]] | None = None,
) -> Any:
    """The request with its claims and timeline; a refused claim or answer comes back with
    what was typed and the reasons next to the fields (files must be chosen again: no browser
    lets a page fill a file input)."""
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
        can_answer=access.can_answer_mdf(g.user, req.partner_id),
        proofs_needed=" and ".join(what for what, _ in claims.REQUIRED_PROOFS[req.activity_type]),
        timeline=[_event(e) for e in events],
        claim_form=claim_form or {},
        claim_errors=claim_errors[0] if claim_errors else {},
        claim_above=claim_errors[1] if claim_errors else [],
        answer_to=answer_to,
        answer_form=answer_form or {},
        answer_errors=answer_errors[0] if answer_errors else {},
        answer_above=answer_errors[1] if answer_errors else [],
        change_form=change_form or _typed(req),
        change_errors=change_errors[0] if change_errors else {},
        change_above=change_errors[1] if change_errors else [],
        activities=list(MdfActivity),
    ), (422 if claim_errors or answer_errors or change_errors else 200)


def _typed(req: Any) -> dict[str, str]:
    """A request's values as its form shows them."""
    return {
        k: "" if getattr(req, k) is None else str(getattr(req, k))
        for k in (
            "activity_type",
            "description",
            "starts_on",
            "ends_on",
            "total_cost",
            "requested_amount",
            "expected_leads",
            "expected_pipeline",
            "campaign_id",
        )
    }


# The timeline in people's words (audit actions are the code's).
EVENT_WORDS = {
    "mdf_request.submitted": "Request sent",
    "mdf_request.resubmitted": "Request sent again, changed",
    "mdf_request.first_approval": "First approval: a second approver of another role decides",
    "mdf_request.approved": "Request approved: the money is committed",
    "mdf_request.rejected": "Request rejected",
    "mdf_request.changes_requested": "The vendor asked for changes",
    "mdf_request.lapsed": "Lapsed: no claim by the deadline, the money went back",
    "mdf_claim.submitted": "Claim #{id} sent with its proofs",
    "mdf_claim.info_requested": "The vendor asked for more information on claim #{id}",
    "mdf_claim.resubmitted": "Claim #{id} answered with more proofs",
    "mdf_claim.approved": "Claim #{id} approved",
    "mdf_claim.rejected": "Claim #{id} rejected",
    "mdf_claim.paid": "Claim #{id} paid",
}


def _event(e: AuditEvent) -> dict[str, Any]:
    changes = e.changes or {}
    words = EVENT_WORDS.get(e.action, e.action.split(".")[-1].replace("_", " ").capitalize())
    facts = []
    if changes.get("amount") not in (None, ""):
        facts.append(f"amount {changes['amount']}")
    if changes.get("released") not in (None, "", "0", "0.00"):
        facts.append(f"{changes['released']} went back to the balance")
    if changes.get("proofs"):
        facts.append(f"{changes['proofs']} file{'s' if changes['proofs'] != 1 else ''}")
    if changes.get("reference"):
        facts.append(f"reference {changes['reference']}")
    return {
        "at": e.at,
        "action": e.action,
        "words": words.format(id=e.object_id),
        "facts": facts,
        "actor": e.actor_email,
        "quote": changes.get("reason") or changes.get("note") or "",
    }


@bp.post("/mdf/requests/<id:request_id>/resubmit")
@login_required
def request_resubmit(request_id: int) -> Any:
    """The partner changes a request the vendor sent back and sends it again."""
    session = db.session()
    requests.get_request(session, g.user, request_id)  # another tenant's: 404 first
    try:
        requests.resubmit_request(session, g.user, request_id, _request_values(request.form))
    except ValidationError as exc:
        session.rollback()
        return _request_page(request_id, change_form=request.form, change_errors=_form_errors(exc))
    except Conflict as exc:
        _refused(exc)
    else:
        session.commit()
        flash("Request changed and sent to the vendor again.", "success")
    return redirect(url_for("portal_mdf.request_detail", request_id=request_id))


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
    proofs = [p for p in proofs if p.filename or p.data]  # an empty file input sends one blank
    values = {
        "request_id": request_id,
        "amount": _amount(form.get("amount", "")),
        "actual_cost": _amount(form.get("actual_cost", "")),
        "results": form.get("results", ""),
        "leads_reported": _whole(form.get("leads_reported", "")),
    }
    try:
        claims.submit_claim(session, g.user, storage(), values, proofs, dt.date.today())
    except ValidationError as exc:
        session.rollback()
        return _request_page(
            request_id,
            claim_form=form,
            claim_errors=_form_errors(exc, [p.filename for p in proofs]),
        )
    except Conflict as exc:
        _refused(exc)
    else:
        session.commit()
        flash("Claim sent. The vendor checks the proofs and pays.", "success")
    return redirect(url_for("portal_mdf.request_detail", request_id=request_id))


@bp.post("/mdf/claims/<id:claim_id>/answer")
@login_required
def claim_answer(claim_id: int) -> Any:
    """The partner answers the vendor's request for more information: more proof files and a
    note; the claim goes back into review."""
    session = db.session()
    claim: MdfClaim = claims.get_claim(session, g.user, claim_id)  # another tenant's: 404
    request_id = claim.request_id
    proofs = [claims.ProofFile(f.filename or "", f.read()) for f in request.files.getlist("proof")]
    proofs = [p for p in proofs if p.filename or p.data]  # an empty file input sends one blank
    try:
        claims.add_proofs(
            session, g.user, storage(), claim_id, proofs, request.form.get("note", "")
        )
    except ValidationError as exc:
        session.rollback()
        return _request_page(
            request_id,
            answer_to=claim_id,
            answer_form=request.form,
            answer_errors=_form_errors(exc, [p.filename for p in proofs]),
        )
    except Conflict as exc:
        _refused(exc)
    else:
        session.commit()
        flash("Answer sent: the claim is back with the vendor for review.", "success")
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
