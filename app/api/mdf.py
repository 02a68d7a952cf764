"""MDF operations: funds, allocations, balances, ledger, requests, claims, export, ROI.

Every POST honours an ``Idempotency-Key`` header (``_once``): the same key and body return the
first answer without doing the work again; the same key with another body is a 409.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
from collections.abc import Callable
from typing import Any

from flask import Response, g, request, url_for
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError

from app import db
from app.api import bp
from app.api.framework import operation
from app.api.library import _file
from app.api.mdf_schemas import (
    AllocationIn,
    ApproveIn,
    BalanceOut,
    BalanceQuery,
    ClaimForm,
    ClaimOut,
    ClaimQuery,
    ExportQuery,
    FundIn,
    FundOut,
    InfoForm,
    LedgerOut,
    PayIn,
    ProofOut,
    ReallocationIn,
    ReasonIn,
    RequestIn,
    RequestOut,
    RequestPatch,
    RequestQuery,
    RoiOut,
    RoiQuery,
    RoiRowOut,
)
from app.api.schemas import PageOut, PageQuery, page_out
from app.storage import storage
from prm_domain.mdf import claims, export, funds, idempotency, ledger, requests, roi
from prm_domain.models import MdfAllocation, MdfClaim, MdfFund, MdfLedgerEntry, MdfRequest

TAG = "mdf"
FileParts = dict[str, list[tuple[str, bytes]]]


def _money(value: decimal.Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(ledger.CENT))


def _digest(files: FileParts | None = None) -> str:
    if files is None:
        raw = request.get_data(cache=True)
        try:
            canonical = json.dumps(json.loads(raw), sort_keys=True)
        except ValueError:
            canonical = raw.decode("utf-8", "replace")
    else:
        form = sorted(request.form.items(multi=True))
        parts = {n: [hashlib.sha256(d).hexdigest() for _, d in fs] for n, fs in files.items()}
        canonical = json.dumps([request.path, form, parts], sort_keys=True)
    return hashlib.sha256(f"{request.path}\n{canonical}".encode()).hexdigest()


def _once(status: int, work: Callable[[], BaseModel], files: FileParts | None = None) -> Response:
    """Run ``work`` and commit, unless this Idempotency-Key was answered before."""
    session = db.session()
    header = request.headers.get("Idempotency-Key")
    if header is None:
        payload = work().model_dump(mode="json")
        session.commit()
        return _json(payload, status)
    key = idempotency.check_key(header)
    digest = _digest(files)
    found = idempotency.find(session, g.user, key, digest)
    if found is None:
        payload = work().model_dump(mode="json")
        idempotency.remember(session, g.user, key, digest, status, payload)
        try:
            session.commit()
            return _json(payload, status)
        except IntegrityError:  # the same key, sent twice at once: the other one won
            session.rollback()
            found = idempotency.find(session, g.user, key, digest)
            if found is None:
                raise
    response = _json(found.response, found.status)
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _json(payload: Any, status: int) -> Response:
    return Response(json.dumps(payload), status=status, mimetype="application/json")


def _fund_out(fund: MdfFund) -> FundOut:
    return FundOut(
        id=fund.id,
        name=fund.name,
        currency=fund.currency,
        budget=str(fund.budget),
        unallocated=str(ledger.from_minor(fund.unallocated_minor)),
        starts_on=fund.starts_on,
        ends_on=fund.ends_on,
        claim_days=fund.claim_days,
        expires_on=fund.expiry_date,
        second_approval_above=_money(fund.second_approval_above),
        tier_amounts=fund.tier_amounts,
    )


def _balance_out(allocation: MdfAllocation) -> BalanceOut:
    fund = db.session().get(MdfFund, allocation.fund_id)
    assert fund is not None
    b = ledger.balances_of(allocation)
    return BalanceOut(
        partner_id=allocation.partner_id,
        fund_id=allocation.fund_id,
        currency=fund.currency,
        rule=allocation.rule,
        accrual_percent=_money(allocation.accrual_percent),
        **{k: str(v) for k, v in b.items()},
    )


def _entry_out(entry: MdfLedgerEntry) -> LedgerOut:
    return LedgerOut(
        id=entry.id,
        kind=entry.kind,
        amount=str(entry.amount),
        partner_id=entry.partner_id,
        fund_id=entry.fund_id,
        created_at=entry.created_at,
        actor=entry.actor_email,
        request_id=entry.request_id,
        claim_id=entry.claim_id,
        reason=entry.reason,
    )


def _request_out(req: MdfRequest) -> RequestOut:
    return RequestOut(
        id=req.id,
        fund_id=req.fund_id,
        partner_id=req.partner_id,
        activity_type=req.activity_type,
        description=req.description,
        starts_on=req.starts_on,
        ends_on=req.ends_on,
        total_cost=str(req.total_cost),
        requested_amount=str(req.requested_amount),
        approved_amount=_money(req.approved_amount),
        committed=str(ledger.from_minor(req.open_minor)),
        expected_leads=req.expected_leads,
        expected_pipeline=_money(req.expected_pipeline),
        campaign_id=req.campaign_id,
        status=req.status,
        decision_reason=req.decision_reason,
        claim_due_on=req.claim_due_on,
        created_at=req.created_at,
    )


def _claim_out(claim: MdfClaim) -> ClaimOut:
    proofs = claims.proofs_of(db.session(), claim)
    return ClaimOut(
        id=claim.id,
        request_id=claim.request_id,
        fund_id=claim.fund_id,
        partner_id=claim.partner_id,
        amount=str(claim.amount),
        actual_cost=str(claim.actual_cost),
        approved_amount=_money(claim.approved_amount),
        results=claim.results,
        leads_reported=claim.leads_reported,
        status=claim.status,
        decision_reason=claim.decision_reason,
        payment_reference=claim.payment_reference,
        paid_on=claim.paid_on,
        proofs=[
            ProofOut(
                id=p.id,
                filename=p.filename,
                media_type=p.media_type,
                size=p.size,
                url=url_for("api.download_mdf_proof", proof_id=p.id),
            )
            for p in proofs
        ],
        created_at=claim.created_at,
    )


# -- funds and money ----------------------------------------------------------------------------


@operation(
    bp,
    "/mdf/funds",
    "GET",
    summary="MDF funds",
    tag=TAG,
    query=PageQuery,
    response=PageOut[FundOut],
)
def list_mdf_funds(query: PageQuery) -> PageOut[FundOut]:
    return page_out(funds.list_funds(db.session(), g.user, **query.model_dump()), _fund_out)


@operation(
    bp,
    "/mdf/funds",
    "POST",
    summary="Create a fund",
    tag=TAG,
    body=FundIn,
    response=FundOut,
    status=201,
    errors=(403, 409),
)
def create_mdf_fund(body: FundIn) -> Response:
    return _once(201, lambda: _fund_out(funds.create_fund(db.session(), g.user, dict(body))))


@operation(bp, "/mdf/funds/<id:fund_id>", "GET", summary="One fund", tag=TAG, response=FundOut)
def get_mdf_fund(fund_id: int) -> FundOut:
    return _fund_out(funds.get_fund(db.session(), g.user, fund_id))


@operation(
    bp,
    "/mdf/funds/<id:fund_id>/allocations",
    "GET",
    summary="A fund's allocations",
    tag=TAG,
    query=PageQuery,
    response=PageOut[BalanceOut],
)
def list_mdf_allocations(fund_id: int, query: PageQuery) -> PageOut[BalanceOut]:
    page = funds.list_allocations(db.session(), g.user, fund_id, **query.model_dump())
    return page_out(page, _balance_out)


@operation(
    bp,
    "/mdf/funds/<id:fund_id>/allocations",
    "POST",
    summary="Allocate to a partner: a fixed amount, its tier's amount or an accrual",
    tag=TAG,
    body=AllocationIn,
    response=BalanceOut,
    status=201,
    errors=(403, 409),
)
def create_mdf_allocation(fund_id: int, body: AllocationIn) -> Response:
    return _once(
        201, lambda: _balance_out(funds.allocate(db.session(), g.user, fund_id, dict(body)))
    )


@operation(
    bp,
    "/mdf/funds/<id:fund_id>/reallocations",
    "POST",
    summary="Move available money between partners, with a reason",
    tag=TAG,
    body=ReallocationIn,
    response=LedgerOut,
    status=201,
    errors=(403, 409),
)
def create_mdf_reallocation(fund_id: int, body: ReallocationIn) -> Response:
    def work() -> LedgerOut:
        _, into = funds.reallocate(db.session(), g.user, fund_id, dict(body))
        return _entry_out(into)

    return _once(201, work)


@operation(
    bp,
    "/mdf/balances",
    "GET",
    summary="Balances per partner and fund",
    tag=TAG,
    query=BalanceQuery,
    response=PageOut[BalanceOut],
)
def list_mdf_balances(query: BalanceQuery) -> PageOut[BalanceOut]:
    page = funds.list_balances(db.session(), g.user, **query.model_dump())
    return page_out(page, _balance_out)


@operation(
    bp,
    "/mdf/ledger",
    "GET",
    summary="Ledger entries (newest first)",
    tag=TAG,
    query=BalanceQuery,
    response=PageOut[LedgerOut],
)
def list_mdf_ledger(query: BalanceQuery) -> PageOut[LedgerOut]:
    page = funds.list_ledger(db.session(), g.user, **query.model_dump())
    return page_out(page, _entry_out)


# -- requests -----------------------------------------------------------------------------------


@operation(
    bp,
    "/mdf/requests",
    "GET",
    summary="MDF requests (the vendor's approval queue)",
    tag=TAG,
    query=RequestQuery,
    response=PageOut[RequestOut],
)
def list_mdf_requests(query: RequestQuery) -> PageOut[RequestOut]:
    page = requests.list_requests(db.session(), g.user, **query.model_dump())
    return page_out(page, _request_out)


@operation(
    bp,
    "/mdf/requests",
    "POST",
    summary="Ask for MDF for an activity",
    tag=TAG,
    body=RequestIn,
    response=RequestOut,
    status=201,
    errors=(403,),
)
def create_mdf_request(body: RequestIn) -> Response:
    return _once(
        201, lambda: _request_out(requests.submit_request(db.session(), g.user, dict(body)))
    )


@operation(
    bp, "/mdf/requests/<id:request_id>", "GET", summary="One request", tag=TAG, response=RequestOut
)
def get_mdf_request(request_id: int) -> RequestOut:
    return _request_out(requests.get_request(db.session(), g.user, request_id))


@operation(
    bp,
    "/mdf/requests/<id:request_id>/resubmit",
    "POST",
    summary="Send a request again, changed, after the vendor asked for changes",
    tag=TAG,
    body=RequestPatch,
    response=RequestOut,
    errors=(403, 409),
)
def resubmit_mdf_request(request_id: int, body: RequestPatch) -> Response:
    values = body.model_dump(exclude_unset=True)
    return _once(
        200,
        lambda: _request_out(requests.resubmit_request(db.session(), g.user, request_id, values)),
    )


@operation(
    bp,
    "/mdf/requests/<id:request_id>/approve",
    "POST",
    summary="Approve in full or in part (commits the money)",
    tag=TAG,
    body=ApproveIn,
    response=RequestOut,
    errors=(403, 409),
)
def approve_mdf_request(request_id: int, body: ApproveIn) -> Response:
    return _once(
        200,
        lambda: _request_out(
            requests.approve_request(db.session(), g.user, request_id, body.amount, body.reason)
        ),
    )


@operation(
    bp,
    "/mdf/requests/<id:request_id>/reject",
    "POST",
    summary="Reject with a reason",
    tag=TAG,
    body=ReasonIn,
    response=RequestOut,
    errors=(403, 409),
)
def reject_mdf_request(request_id: int, body: ReasonIn) -> Response:
    return _once(
        200,
        lambda: _request_out(
            requests.reject_request(db.session(), g.user, request_id, body.reason)
        ),
    )


@operation(
    bp,
    "/mdf/requests/<id:request_id>/request-changes",
    "POST",
    summary="Ask the partner for changes",
    tag=TAG,
    body=ReasonIn,
    response=RequestOut,
    errors=(403, 409),
)
def request_mdf_changes(request_id: int, body: ReasonIn) -> Response:
    return _once(
        200,
        lambda: _request_out(
            requests.request_changes(db.session(), g.user, request_id, body.reason)
        ),
    )


# -- claims -------------------------------------------------------------------------------------


@operation(
    bp,
    "/mdf/claims",
    "GET",
    summary="MDF claims",
    tag=TAG,
    query=ClaimQuery,
    response=PageOut[ClaimOut],
)
def list_mdf_claims(query: ClaimQuery) -> PageOut[ClaimOut]:
    return page_out(claims.list_claims(db.session(), g.user, **query.model_dump()), _claim_out)


def _proofs(files: FileParts) -> list[claims.ProofFile]:
    return [claims.ProofFile(name, data) for name, data in files.get("proof", [])]


@operation(
    bp,
    "/mdf/claims",
    "POST",
    summary="Claim against an approved request, with proof files",
    tag=TAG,
    form=ClaimForm,
    files=("proof",),
    response=ClaimOut,
    status=201,
    errors=(403, 409),
)
def create_mdf_claim(form: ClaimForm, files: FileParts) -> Response:
    return _once(
        201,
        lambda: _claim_out(
            claims.submit_claim(
                db.session(), g.user, storage(), dict(form), _proofs(files), dt.date.today()
            )
        ),
        files,
    )


@operation(bp, "/mdf/claims/<id:claim_id>", "GET", summary="One claim", tag=TAG, response=ClaimOut)
def get_mdf_claim(claim_id: int) -> ClaimOut:
    return _claim_out(claims.get_claim(db.session(), g.user, claim_id))


@operation(
    bp,
    "/mdf/claims/<id:claim_id>/proofs",
    "POST",
    summary="Answer a request for information with more files",
    tag=TAG,
    form=InfoForm,
    files=("proof",),
    response=ClaimOut,
    errors=(403, 409),
)
def add_mdf_proofs(claim_id: int, form: InfoForm, files: FileParts) -> Response:
    return _once(
        200,
        lambda: _claim_out(
            claims.add_proofs(db.session(), g.user, storage(), claim_id, _proofs(files), form.note)
        ),
        files,
    )


@operation(
    bp,
    "/mdf/claims/<id:claim_id>/approve",
    "POST",
    summary="Approve in full or part",
    tag=TAG,
    body=ApproveIn,
    response=ClaimOut,
    errors=(403, 409),
)
def approve_mdf_claim(claim_id: int, body: ApproveIn) -> Response:
    return _once(
        200,
        lambda: _claim_out(
            claims.approve_claim(db.session(), g.user, claim_id, body.amount, body.reason)
        ),
    )


@operation(
    bp,
    "/mdf/claims/<id:claim_id>/reject",
    "POST",
    summary="Reject with a reason",
    tag=TAG,
    body=ReasonIn,
    response=ClaimOut,
    errors=(403, 409),
)
def reject_mdf_claim(claim_id: int, body: ReasonIn) -> Response:
    return _once(
        200, lambda: _claim_out(claims.reject_claim(db.session(), g.user, claim_id, body.reason))
    )


@operation(
    bp,
    "/mdf/claims/<id:claim_id>/request-info",
    "POST",
    summary="Ask the partner for more information",
    tag=TAG,
    body=ReasonIn,
    response=ClaimOut,
    errors=(403, 409),
)
def request_mdf_claim_info(claim_id: int, body: ReasonIn) -> Response:
    return _once(
        200, lambda: _claim_out(claims.request_info(db.session(), g.user, claim_id, body.reason))
    )


@operation(
    bp,
    "/mdf/claims/<id:claim_id>/pay",
    "POST",
    summary="Mark an approved claim paid",
    tag=TAG,
    body=PayIn,
    response=ClaimOut,
    errors=(403, 409),
)
def pay_mdf_claim(claim_id: int, body: PayIn) -> Response:
    return _once(
        200,
        lambda: _claim_out(
            claims.pay_claim(db.session(), g.user, claim_id, body.reference, body.paid_on)
        ),
    )


@operation(
    bp,
    "/mdf/proofs/<id:proof_id>",
    "GET",
    summary="A claim's proof file",
    tag=TAG,
    produces=("application/octet-stream",),
)
def download_mdf_proof(proof_id: int) -> Response:
    proof = claims.get_proof(db.session(), g.user, proof_id)
    safe = "".join(c for c in proof.filename if c.isalnum() or c in "._-")[:100] or "proof"
    return _file(storage().get(proof.key), proof.media_type, safe)


# -- finance and ROI ----------------------------------------------------------------------------


@operation(
    bp,
    "/mdf/export",
    "GET",
    summary="Claims and payments of a period (CSV or XLSX)",
    tag=TAG,
    query=ExportQuery,
    errors=(403,),
    produces=("text/csv", export.XLSX_TYPE),
)
def export_mdf(query: ExportQuery) -> Response:
    rows = export.rows_for(db.session(), g.user, query.starts_on, query.ends_on)
    name = f"mdf-claims-{query.starts_on}-{query.ends_on}"
    if query.format == "xlsx":
        return _file(export.to_xlsx(rows), export.XLSX_TYPE, f"{name}.xlsx")
    return _file(export.to_csv(rows), "text/csv; charset=utf-8", f"{name}.csv")


def _roi_rows(rows: list[roi.Row]) -> list[RoiRowOut]:
    return [
        RoiRowOut(
            key=r.key,
            label=r.label,
            requests=r.requests,
            paid=str(r.paid),
            leads=r.leads,
            cost_per_lead=_money(r.cost_per_lead),
            pipeline=str(r.pipeline),
            closed_won=str(r.closed_won),
            return_per_unit=_money(r.return_per_unit),
        )
        for r in rows
    ]


@operation(
    bp,
    "/mdf/roi",
    "GET",
    summary="What MDF brought: leads, cost per lead, return",
    tag=TAG,
    query=RoiQuery,
    response=RoiOut,
)
def get_mdf_roi(query: RoiQuery) -> RoiOut:
    report = roi.roi_report(db.session(), g.user, fund_id=query.fund_id)
    return RoiOut(
        currency_note="Amounts are in each fund's currency; roll-ups add funds of one currency.",
        attribution=roi.ATTRIBUTION,
        activities=_roi_rows(report.activities),
        by_partner=_roi_rows(report.by_partner),
        by_activity_type=_roi_rows(report.by_activity_type),
        by_tier=_roi_rows(report.by_tier),
        by_quarter=_roi_rows(report.by_quarter),
    )
