"""Claims against approved requests: proofs checked by content, the vendor's decisions, payment.

A claim settles its request: approving it moves the approved amount from committed to claimed
and gives the rest of the commitment back (RELEASE); paying moves it from claimed to paid.
"""

from __future__ import annotations

import datetime as dt
import decimal
import io
import zipfile
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Select, Table, select, update
from sqlalchemy.orm import Session

from prm_domain import audit, validation
from prm_domain.access import (
    Area,
    Right,
    ensure_can_answer_mdf,
    ensure_visible,
    partner_scope,
    require,
)
from prm_domain.enums import MdfActivity, MdfClaimStatus, MdfEntryKind, MdfRequestStatus
from prm_domain.errors import Conflict, NotFound, ValidationError
from prm_domain.mdf import ledger
from prm_domain.mdf.funds import _money, allocation_of, text
from prm_domain.mdf.requests import get_request, tell_partner_once
from prm_domain.models import MdfClaim, MdfFund, MdfProof, MdfRequest, User
from prm_domain.pagination import Page, paginate
from prm_domain.storage import Storage

C = MdfClaimStatus
MAX_PROOF_BYTES = 10 * 2**20
MAX_PROOFS = 10

IMAGE = frozenset({"image/png", "image/jpeg"})
LIST = frozenset(
    {
        "text/csv",
        "application/pdf",
        XLSX := ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    }
)
REPORT = IMAGE | LIST
# What a claim must prove, by activity: each set needs at least one file of its kinds.
REQUIRED_PROOFS: dict[MdfActivity, tuple[tuple[str, frozenset[str]], ...]] = {
    MdfActivity.EVENT: (("a photo", IMAGE), ("an attendee list", LIST)),
    MdfActivity.TRADE_SHOW: (("a photo", IMAGE), ("an attendee list", LIST)),
    MdfActivity.WEBINAR: (("an attendee list", LIST),),
    MdfActivity.CONTENT_SYNDICATION: (("a lead list", LIST),),
    MdfActivity.TELEMARKETING: (("a call list", LIST),),
    MdfActivity.DIGITAL_ADVERTISING: (("an ad report or screenshot", REPORT),),
    MdfActivity.EMAIL_CAMPAIGN: (("a campaign report or screenshot", REPORT),),
    MdfActivity.OTHER: (("a proof of performance", REPORT),),
}


@dataclass(frozen=True)
class ProofFile:
    filename: str
    data: bytes


def sniff(data: bytes) -> str | None:
    """The media type the bytes really are (never the name or the declared type), or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:]:
        return "application/pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                return XLSX if "xl/workbook.xml" in z.namelist() else None
        except zipfile.BadZipFile:
            return None
    if b"\x00" not in data:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return None
        lines = [line for line in text.splitlines() if line.strip()]
        if lines and all(("," in line or ";" in line) for line in lines[:5]):
            return "text/csv"
    return None


def _filename(name: str) -> str:
    """The uploaded name, kept for people to read: only visible, storable characters."""
    kept = "".join(c for c in name if not validation.hidden_character(c) and c not in "\\/")
    return kept.encode("utf-8", "ignore").decode()[:200].strip() or "proof"


def _check_proofs(activity: MdfActivity, proofs: list[ProofFile]) -> list[tuple[ProofFile, str]]:
    problems: dict[str, str] = {}
    if len(proofs) > MAX_PROOFS:
        problems["proof"] = f"at most {MAX_PROOFS} files"
    typed: list[tuple[ProofFile, str]] = []
    for i, proof in enumerate(proofs):
        if not proof.data or len(proof.data) > MAX_PROOF_BYTES:
            problems[f"proof.{i}"] = f"must be between 1 byte and {MAX_PROOF_BYTES // 2**20} MB"
            continue
        media = sniff(proof.data)
        if media is None:
            problems[f"proof.{i}"] = "is not a PNG, JPEG, PDF, CSV or XLSX file"
            continue
        typed.append((proof, media))
    if not problems:
        missing = [
            what
            for what, kinds in REQUIRED_PROOFS[activity]
            if not any(media in kinds for _, media in typed)
        ]
        if missing:
            problems["proof"] = (
                f"claims for {activity.label.lower()} activities need " + " and ".join(missing)
            )
    if problems:
        raise ValidationError.for_fields(problems)
    return typed


def _move(
    session: Session, claim: MdfClaim, allowed: tuple[C, ...], to: C, what: str, **values: Any
) -> None:
    table = cast(Table, MdfClaim.__table__)
    done = session.execute(
        update(table)
        .where(table.c.id == claim.id, table.c.status.in_([s.value for s in allowed]))
        .values(status=to.value, updated_at=dt.datetime.now(dt.UTC), **values)
    )
    session.expire(claim)
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(f"The claim's status is {claim.status.label.lower()}: it cannot be {what}.")


def submit_claim(
    session: Session,
    actor: User,
    storage: Storage,
    values: dict[str, Any],
    proofs: list[ProofFile],
    today: dt.date,
) -> MdfClaim:
    require(actor, Right.REQUEST_MDF)
    try:
        req = get_request(session, actor, int(values.get("request_id") or 0))
    except (NotFound, ValueError):
        raise ValidationError.for_fields({"request_id": "no such request"}) from None
    if req.status is not MdfRequestStatus.APPROVED:
        raise Conflict(
            f"The request is {req.status.label.lower()}: only an approved request can be claimed."
        )
    open_claim = session.scalar(
        select(MdfClaim.id).where(
            MdfClaim.request_id == req.id,
            MdfClaim.status.in_([C.SUBMITTED, C.INFO_REQUESTED, C.APPROVED, C.PAID]),
        )
    )
    if open_claim is not None:
        raise Conflict("The request has a claim already.")
    if today > req.claim_due_on:
        raise ValidationError.for_fields(
            {"request_id": f"the claim deadline was {req.claim_due_on}"}
        )
    problems: dict[str, str] = {}
    amount = _money(values.get("amount"), "amount", problems)
    actual = _money(values.get("actual_cost"), "actual_cost", problems)
    committed = ledger.from_minor(req.open_minor)
    if amount is not None and amount > committed:
        problems["amount"] = f"is more than the approved amount of {committed}"
        problems["available"] = str(committed)
    elif amount is not None and actual is not None and amount > actual:
        problems["amount"] = "must not be more than the actual cost"
    try:
        results = text("results", values.get("results"), 4000, required=False, lines=True)
    except ValidationError as exc:
        problems.update(exc.fields)
        results = ""
    leads = values.get("leads_reported")
    if leads is not None and (not isinstance(leads, int) or not 0 <= leads <= 10**7):
        problems["leads_reported"] = "must be a whole number, 0 or more"
    if problems:
        raise ValidationError.for_fields(problems)
    typed = _check_proofs(req.activity_type, proofs)
    claim = MdfClaim(
        request_id=req.id,
        fund_id=req.fund_id,
        partner_id=req.partner_id,
        amount=amount,
        actual_cost=actual,
        results=results,
        leads_reported=leads,
        status=C.SUBMITTED,
        created_by_id=actor.id,
    )
    session.add(claim)
    session.flush()
    for proof, media in typed:
        session.add(
            MdfProof(
                claim_id=claim.id,
                partner_id=claim.partner_id,
                key=storage.put(proof.data),
                filename=_filename(proof.filename),
                media_type=media,
                size=len(proof.data),
            )
        )
    session.flush()
    audit.record(
        session,
        actor,
        "mdf_claim.submitted",
        claim,
        {"amount": amount, "proofs": len(typed)},
        partner_id=claim.partner_id,
    )
    return claim


def get_claim(session: Session, actor: User, claim_id: int) -> MdfClaim:
    claim = session.get(MdfClaim, claim_id)
    if claim is None:
        raise NotFound("Claim not found.")
    ensure_visible(actor, claim.partner_id, "Claim", Area.MDF)
    require(actor, Right.VIEW_MDF)
    return claim


def proofs_of(session: Session, claim: MdfClaim) -> list[MdfProof]:
    return list(
        session.scalars(select(MdfProof).where(MdfProof.claim_id == claim.id).order_by(MdfProof.id))
    )


def get_proof(session: Session, actor: User, proof_id: int) -> MdfProof:
    proof = session.get(MdfProof, proof_id)
    if proof is None:
        raise NotFound("File not found.")
    ensure_visible(actor, proof.partner_id, "File", Area.MDF)
    require(actor, Right.VIEW_MDF)
    return proof


def list_claims(
    session: Session,
    actor: User,
    *,
    status: C | None = None,
    request_id: int | None = None,
    partner_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[MdfClaim]:
    require(actor, Right.VIEW_MDF)
    stmt: Select[Any] = select(MdfClaim).where(partner_scope(actor, MdfClaim.partner_id, Area.MDF))
    if status is not None:
        stmt = stmt.where(MdfClaim.status == status)
    if request_id is not None:
        stmt = stmt.where(MdfClaim.request_id == request_id)
    if partner_id is not None:
        stmt = stmt.where(MdfClaim.partner_id == partner_id)
    return paginate(session, stmt.order_by(MdfClaim.id.desc()), page=page, per_page=per_page)


def approve_claim(
    session: Session,
    actor: User,
    claim_id: int,
    amount: decimal.Decimal | None = None,
    reason: str = "",
) -> MdfClaim:
    """Approve in full or in part; the request's unused commitment goes back to available."""
    require(actor, Right.APPROVE_MDF)
    claim = get_claim(session, actor, claim_id)
    reason = text("reason", reason, 1000, required=False, lines=True)
    problems: dict[str, str] = {}
    if amount is not None:
        _money(amount, "amount", problems)
        if not problems and amount > claim.amount:
            problems["amount"] = f"must not be more than the claimed {claim.amount}"
    if problems:
        raise ValidationError.for_fields(problems)
    granted = amount if amount is not None else claim.amount
    req = session.get(MdfRequest, claim.request_id)
    fund = session.get(MdfFund, claim.fund_id)
    assert req is not None and fund is not None
    _move(
        session,
        claim,
        (C.SUBMITTED,),
        C.APPROVED,
        "approved",
        approved_amount=granted,
        decision_reason=reason[:1000],
    )
    left = ledger.from_minor(req.open_minor) - granted
    table = cast(Table, MdfRequest.__table__)
    done = session.execute(
        update(table)
        .where(
            table.c.id == req.id,
            table.c.status == MdfRequestStatus.APPROVED.value,
            table.c.open_minor == req.open_minor,
        )
        .values(status=MdfRequestStatus.CLAIMED.value, open_minor=0)
    )
    session.expire(req)
    if done.rowcount != 1 or left < 0:  # type: ignore[attr-defined]
        raise Conflict("The request changed meanwhile; try again.")
    allocation = allocation_of(session, claim.fund_id, claim.partner_id)
    assert allocation is not None
    ledger.post(
        session,
        allocation,
        MdfEntryKind.CLAIM,
        granted,
        actor,
        request_id=req.id,
        claim_id=claim.id,
        currency=fund.currency,
    )
    if left > 0:
        ledger.post(
            session,
            allocation,
            MdfEntryKind.RELEASE,
            left,
            actor,
            request_id=req.id,
            claim_id=claim.id,
            reason="settled below the commitment",
            currency=fund.currency,
        )
    audit.record(
        session,
        actor,
        "mdf_claim.approved",
        claim,
        {"amount": granted, "released": left, "reason": reason},
        partner_id=claim.partner_id,
    )
    return claim


def reject_claim(session: Session, actor: User, claim_id: int, reason: str) -> MdfClaim:
    """The request stays approved: the partner may claim again until the deadline."""
    return _decide(session, actor, claim_id, reason, C.REJECTED, "rejected")


def request_info(session: Session, actor: User, claim_id: int, reason: str) -> MdfClaim:
    """The vendor's question goes to the partner's admins as a notification (one per question)."""
    claim = _decide(session, actor, claim_id, reason, C.INFO_REQUESTED, "sent back")
    tell_partner_once(
        session,
        claim,
        "mdf_claim.info_requested",
        f"The vendor asks for more information on MDF claim #{claim.id}: {claim.decision_reason}",
        f"/mdf/requests/{claim.request_id}#claim-{claim.id}",
    )
    return claim


def _decide(
    session: Session, actor: User, claim_id: int, reason: str, to: C, what: str
) -> MdfClaim:
    require(actor, Right.APPROVE_MDF)
    claim = get_claim(session, actor, claim_id)
    reason = text("reason", reason, 1000, lines=True)
    _move(session, claim, (C.SUBMITTED,), to, what, decision_reason=reason[:1000])
    audit.record(
        session,
        actor,
        f"mdf_claim.{to.value}",
        claim,
        {"reason": reason},
        partner_id=claim.partner_id,
    )
    return claim


def add_proofs(
    session: Session,
    actor: User,
    storage: Storage,
    claim_id: int,
    proofs: list[ProofFile],
    note: str = "",
) -> MdfClaim:
    """The partner answers a request for information with more files; the claim is submitted
    again."""
    claim = get_claim(session, actor, claim_id)
    ensure_can_answer_mdf(actor, claim.partner_id)
    if claim.status is not C.INFO_REQUESTED:
        raise Conflict("The vendor asks nothing on this claim: there is nothing to answer.")
    note = text("note", note, 4000, required=False, lines=True)
    if not proofs:
        raise ValidationError.for_fields({"proof": "add at least one file"})
    typed = _check_proofs(MdfActivity.OTHER, proofs)
    for proof, media in typed:
        session.add(
            MdfProof(
                claim_id=claim.id,
                partner_id=claim.partner_id,
                key=storage.put(proof.data),
                filename=_filename(proof.filename),
                media_type=media,
                size=len(proof.data),
            )
        )
    results = (claim.results + ("\n" + note if note else ""))[:4000]
    _move(session, claim, (C.INFO_REQUESTED,), C.SUBMITTED, "resubmitted", results=results)
    audit.record(
        session,
        actor,
        "mdf_claim.resubmitted",
        claim,
        {"proofs": len(typed), "note": note},
        partner_id=claim.partner_id,
    )
    return claim


def pay_claim(
    session: Session, actor: User, claim_id: int, reference: str, paid_on: dt.date
) -> MdfClaim:
    require(actor, Right.MANAGE_MDF)
    claim = get_claim(session, actor, claim_id)
    reference = text("reference", reference, 120)
    fund = session.get(MdfFund, claim.fund_id)
    assert fund is not None
    _move(
        session, claim, (C.APPROVED,), C.PAID, "paid", payment_reference=reference, paid_on=paid_on
    )
    allocation = allocation_of(session, claim.fund_id, claim.partner_id)
    assert allocation is not None and claim.approved_amount is not None
    ledger.post(
        session,
        allocation,
        MdfEntryKind.PAY,
        claim.approved_amount,
        actor,
        request_id=claim.request_id,
        claim_id=claim.id,
        reason=reference,
        currency=fund.currency,
    )
    audit.record(
        session,
        actor,
        "mdf_claim.paid",
        claim,
        {"reference": reference, "paid_on": paid_on},
        partner_id=claim.partner_id,
    )
    return claim
