"""MDF requests: submission with its checks, the vendor's decisions, lapse after the deadline.

State changes are conditional UPDATEs on the status (``_move``): two approvals at once, or an
approval racing a rejection, cannot both happen; the loser gets Conflict (409).
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any, cast

from sqlalchemy import Select, Table, func, select, update
from sqlalchemy.orm import Session

from prm_domain import audit, notifications
from prm_domain.access import (
    Area,
    Right,
    ensure_can_answer_mdf,
    ensure_visible,
    partner_scope,
    require,
)
from prm_domain.enums import MdfActivity, MdfClaimStatus, MdfEntryKind, MdfRequestStatus
from prm_domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from prm_domain.mdf import ledger
from prm_domain.mdf.funds import _get, _money, allocation_of, text
from prm_domain.models import AuditEvent, MdfClaim, MdfFund, MdfRequest, User
from prm_domain.pagination import Page, paginate

S = MdfRequestStatus
# Fields an activity type needs beyond the common ones.
REQUIRED_BY_ACTIVITY: dict[MdfActivity, tuple[str, ...]] = {
    MdfActivity.EVENT: ("expected_leads",),
    MdfActivity.TRADE_SHOW: ("expected_leads",),
    MdfActivity.WEBINAR: ("expected_leads",),
    MdfActivity.DIGITAL_ADVERTISING: ("expected_leads",),
    MdfActivity.EMAIL_CAMPAIGN: ("expected_leads",),
    MdfActivity.CONTENT_SYNDICATION: ("expected_leads",),
    MdfActivity.TELEMARKETING: ("expected_leads", "expected_pipeline"),
    MdfActivity.OTHER: (),
}
DECIDABLE = (S.SUBMITTED, S.AWAITING_SECOND_APPROVAL)


def _move(
    session: Session, req: MdfRequest, allowed: tuple[S, ...], to: S, what: str, **values: Any
) -> None:
    table = cast(Table, MdfRequest.__table__)
    done = session.execute(
        update(table)
        .where(table.c.id == req.id, table.c.status.in_([s.value for s in allowed]))
        .values(status=to.value, updated_at=dt.datetime.now(dt.UTC), **values)
    )
    session.expire(req)
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(f"This request is {req.status.label.lower()}: it cannot be {what}.")


def _check(session: Session, fund: MdfFund, values: dict[str, Any]) -> dict[str, Any]:
    problems: dict[str, str] = {}
    try:
        activity = MdfActivity(str(values.get("activity_type")))
    except ValueError:
        problems["activity_type"] = "must be one of " + ", ".join(a.value for a in MdfActivity)
        activity = MdfActivity.OTHER
    try:
        description = text("description", values.get("description"), 4000, lines=True)
    except ValidationError as exc:
        problems.update(exc.fields)
        description = ""
    starts, ends = values.get("starts_on"), values.get("ends_on")
    period = f"must be within the fund's period, {fund.starts_on} to {fund.ends_on}"
    if not isinstance(starts, dt.date):
        problems["starts_on"] = "is required"
    elif not fund.starts_on <= starts <= fund.ends_on:
        problems["starts_on"] = period
    if not isinstance(ends, dt.date):
        problems["ends_on"] = "is required"
    elif isinstance(starts, dt.date) and ends < starts:
        problems["ends_on"] = "must not be before the first day"
    elif not fund.starts_on <= ends <= fund.ends_on:
        problems["ends_on"] = period
    total = _money(values.get("total_cost"), "total_cost", problems)
    requested = _money(values.get("requested_amount"), "requested_amount", problems)
    if total is not None and requested is not None and requested > total:
        problems["requested_amount"] = "must not be more than the total cost"
    for name in REQUIRED_BY_ACTIVITY[activity]:
        if values.get(name) is None:
            problems[name] = f"is needed for {activity.label.lower()} activities"
    leads = values.get("expected_leads")
    if leads is not None and (not isinstance(leads, int) or not 0 <= leads <= 10**7):
        problems["expected_leads"] = "must be a whole number, 0 or more"
    pipeline = values.get("expected_pipeline")
    if pipeline is not None:
        _money(pipeline, "expected_pipeline", problems, zero=True)
    campaign = values.get("campaign_id")
    if campaign is not None and (not isinstance(campaign, int) or campaign < 1):
        problems["campaign_id"] = "must be a campaign id"
    if problems:
        raise ValidationError.for_fields(problems)
    return {
        "activity_type": activity,
        "description": description,
        "starts_on": starts,
        "ends_on": ends,
        "total_cost": total,
        "requested_amount": requested,
        "expected_leads": leads,
        "expected_pipeline": pipeline,
        "campaign_id": campaign,
    }


def submit_request(session: Session, actor: User, values: dict[str, Any]) -> MdfRequest:
    """A partner admin asks for money from its own allocation in a fund."""
    require(actor, Right.REQUEST_MDF)
    fund = _get(session, MdfFund, values.get("fund_id"))
    allocation = allocation_of(session, fund.id, actor.partner_id) if fund else None
    if fund is None or allocation is None:
        raise ValidationError.for_fields({"fund_id": "no allocation for you in this fund"})
    clean = _check(session, fund, values)
    available = allocation.balance("available")
    if clean["requested_amount"] > available:
        raise ledger.InsufficientBalance(
            f"requested_amount is more than the available balance of {available} {fund.currency}.",
            {
                "requested_amount": f"is more than the available balance of {available} "
                f"{fund.currency}",
                "available": str(available),
            },
        )
    req = MdfRequest(
        fund_id=fund.id,
        partner_id=allocation.partner_id,
        allocation_id=allocation.id,
        status=S.SUBMITTED,
        created_by_id=actor.id,
        claim_due_on=clean["ends_on"] + dt.timedelta(days=fund.claim_days),
        **clean,
    )
    session.add(req)
    session.flush()
    audit.record(
        session,
        actor,
        "mdf_request.submitted",
        req,
        {"amount": req.requested_amount, "activity": req.activity_type},
        partner_id=req.partner_id,
    )
    return req


def resubmit_request(
    session: Session, actor: User, request_id: int, values: dict[str, Any]
) -> MdfRequest:
    """After the vendor asked for changes: the partner sends the request again, changed."""
    req = get_request(session, actor, request_id)
    ensure_can_answer_mdf(actor, req.partner_id, "Request")
    fund = session.get(MdfFund, req.fund_id)
    assert fund is not None
    clean = _check(session, fund, {**_values_of(req), **values})
    _move(
        session,
        req,
        (S.CHANGES_REQUESTED,),
        S.SUBMITTED,
        "resubmitted",
        claim_due_on=clean["ends_on"] + dt.timedelta(days=fund.claim_days),
        **clean,
    )
    audit.record(session, actor, "mdf_request.resubmitted", req, {}, partner_id=req.partner_id)
    return req


def _values_of(req: MdfRequest) -> dict[str, Any]:
    return {
        k: getattr(req, k)
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


def get_request(session: Session, actor: User, request_id: int) -> MdfRequest:
    # Tenancy before the role: another tenant's request is a 404 for every partner role, the
    # same answer as a missing one.
    req = session.get(MdfRequest, request_id)
    if req is None:
        raise NotFound("Request not found.")
    ensure_visible(actor, req.partner_id, "Request", Area.MDF)
    require(actor, Right.VIEW_MDF)
    return req


def list_requests(
    session: Session,
    actor: User,
    *,
    status: S | None = None,
    fund_id: int | None = None,
    partner_id: int | None = None,
    activity_type: MdfActivity | None = None,
    q: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[MdfRequest]:
    require(actor, Right.VIEW_MDF)
    stmt: Select[Any] = select(MdfRequest).where(
        partner_scope(actor, MdfRequest.partner_id, Area.MDF)
    )
    if status is not None:
        stmt = stmt.where(MdfRequest.status == status)
    if fund_id is not None:
        stmt = stmt.where(MdfRequest.fund_id == fund_id)
    if partner_id is not None:
        stmt = stmt.where(MdfRequest.partner_id == partner_id)
    if activity_type is not None:
        stmt = stmt.where(MdfRequest.activity_type == activity_type)
    if q:
        stmt = stmt.where(MdfRequest.description.ilike(f"%{q[:100]}%"))
    return paginate(session, stmt.order_by(MdfRequest.id.desc()), page=page, per_page=per_page)


def approve_request(
    session: Session,
    actor: User,
    request_id: int,
    amount: decimal.Decimal | None = None,
    reason: str = "",
) -> MdfRequest:
    """Approve in full or in part. Above the fund's threshold a second approver of another role
    must approve too; the money is committed by the final approval."""
    require(actor, Right.APPROVE_MDF)
    req = get_request(session, actor, request_id)
    fund = session.get(MdfFund, req.fund_id)
    assert fund is not None
    reason = text("reason", reason, 1000, required=False, lines=True)
    problems: dict[str, str] = {}
    if amount is not None:
        _money(amount, "amount", problems)
        if not problems and amount > req.requested_amount:
            problems["amount"] = f"must not be more than the requested {req.requested_amount}"
    granted = amount if amount is not None else (req.first_approved_amount or req.requested_amount)
    if not problems and granted < req.requested_amount and not reason.strip():
        problems["reason"] = "is required for a partial approval"
    if problems:
        raise ValidationError.for_fields(problems)
    threshold = fund.second_approval_above
    if req.status is S.AWAITING_SECOND_APPROVAL:
        if actor.id == req.first_approver_id or actor.role.value == req.first_approver_role:
            raise PermissionDenied("A second approver of another role must approve this request.")
    elif req.status is S.SUBMITTED and threshold is not None and granted > threshold:
        _move(
            session,
            req,
            (S.SUBMITTED,),
            S.AWAITING_SECOND_APPROVAL,
            "approved",
            first_approver_id=actor.id,
            first_approver_role=actor.role.value,
            first_approved_amount=granted,
            decision_reason=reason[:1000],
        )
        audit.record(
            session,
            actor,
            "mdf_request.first_approval",
            req,
            {"amount": granted, "reason": reason},
            partner_id=req.partner_id,
        )
        return req
    _move(
        session,
        req,
        DECIDABLE,
        S.APPROVED,
        "approved",
        approved_amount=granted,
        open_minor=ledger.to_minor(granted),
        decision_reason=reason[:1000],
    )
    allocation = allocation_of(session, req.fund_id, req.partner_id)
    assert allocation is not None
    ledger.post(
        session,
        allocation,
        MdfEntryKind.COMMIT,
        granted,
        actor,
        field="amount",
        request_id=req.id,
        reason=reason,
        currency=fund.currency,
    )
    audit.record(
        session,
        actor,
        "mdf_request.approved",
        req,
        {"amount": granted, "reason": reason},
        partner_id=req.partner_id,
    )
    return req


def tell_partner_once(
    session: Session, sent_back: MdfRequest | MdfClaim, action: str, text: str, link: str
) -> None:
    """A vendor's question or wish goes to the partner's admins as a notification: one per
    time it was asked (the audit trail counts them), however often this runs."""
    asked = session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(
            AuditEvent.object_type == sent_back.__tablename__,
            AuditEvent.object_id == sent_back.id,
            AuditEvent.action == action,
        )
    )
    notifications.notify_user(
        session,
        partner_id=sent_back.partner_id,
        user_id=None,
        kind="mdf",
        text=text,
        link=link,
        dedupe_key=f"{action}:{sent_back.id}:{asked}",
    )


def reject_request(session: Session, actor: User, request_id: int, reason: str) -> MdfRequest:
    return _decide(session, actor, request_id, reason, S.REJECTED, "rejected")


def request_changes(session: Session, actor: User, request_id: int, reason: str) -> MdfRequest:
    """The vendor's wish goes to the partner's admins as a notification (one per wish)."""
    req = _decide(session, actor, request_id, reason, S.CHANGES_REQUESTED, "sent back")
    tell_partner_once(
        session,
        req,
        "mdf_request.changes_requested",
        f"The vendor asks for changes to MDF request #{req.id}: {req.decision_reason}",
        f"/mdf/requests/{req.id}#changes",
    )
    return req


def _decide(
    session: Session, actor: User, request_id: int, reason: str, to: S, what: str
) -> MdfRequest:
    require(actor, Right.APPROVE_MDF)
    req = get_request(session, actor, request_id)
    reason = text("reason", reason, 1000, lines=True)
    _move(session, req, DECIDABLE, to, what, decision_reason=reason[:1000])
    audit.record(
        session,
        actor,
        f"mdf_request.{to.value}",
        req,
        {"reason": reason},
        partner_id=req.partner_id,
    )
    return req


def lapse_overdue(session: Session, today: dt.date) -> int:
    """Approved requests past their claim deadline with no claim in progress give their
    commitment back. Idempotent (a lapsed request is not approved any more)."""
    pending = select(MdfClaim.request_id).where(
        MdfClaim.status.in_([MdfClaimStatus.SUBMITTED, MdfClaimStatus.INFO_REQUESTED])
    )
    count = 0
    for req in list(
        session.scalars(
            select(MdfRequest).where(
                MdfRequest.status == S.APPROVED,
                MdfRequest.claim_due_on < today,
                MdfRequest.id.not_in(pending),
            )
        )
    ):
        left = ledger.from_minor(req.open_minor)
        _move(session, req, (S.APPROVED,), S.LAPSED, "lapsed", open_minor=0)
        if left > 0:
            allocation = allocation_of(session, req.fund_id, req.partner_id)
            assert allocation is not None
            ledger.post(
                session,
                allocation,
                MdfEntryKind.RELEASE,
                left,
                None,
                request_id=req.id,
                reason="lapsed: no claim by the deadline",
            )
        audit.record(
            session, None, "mdf_request.lapsed", req, {"released": left}, partner_id=req.partner_id
        )
        count += 1
    return count
