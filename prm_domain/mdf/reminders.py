"""The daily MDF job: lapse overdue requests, expire unspent money, remind partners of claim
deadlines and expiring funds (a portal notification each, once per request or fund)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from prm_domain.enums import MdfClaimStatus, MdfRequestStatus
from prm_domain.mdf import funds, requests
from prm_domain.models import MdfAllocation, MdfClaim, MdfFund, MdfRequest, Notification

CLAIM_DUE_DAYS = 14  # remind this many days before a claim deadline
EXPIRY_DAYS = 30  # and before a fund's unspent money expires


@dataclass(frozen=True)
class DailyResult:
    lapsed: int
    expired: int
    reminded: int


def _notify(session: Session, partner_id: int, key: str, text: str, link: str) -> bool:
    seen = session.scalar(
        select(Notification.id).where(
            Notification.partner_id == partner_id, Notification.dedupe_key == key
        )
    )
    if seen is not None:
        return False
    session.add(
        Notification(partner_id=partner_id, kind="mdf", text=text[:500], link=link, dedupe_key=key)
    )
    return True


def remind(session: Session, today: dt.date) -> int:
    sent = 0
    # A claim in progress (the vendor's question included: it was asked by its own
    # notification) settles the request: no deadline reminder for it.
    claimed = select(MdfClaim.request_id).where(MdfClaim.status != MdfClaimStatus.REJECTED)
    due = session.scalars(
        select(MdfRequest).where(
            MdfRequest.status == MdfRequestStatus.APPROVED,
            MdfRequest.claim_due_on >= today,
            MdfRequest.claim_due_on <= today + dt.timedelta(days=CLAIM_DUE_DAYS),
            MdfRequest.id.not_in(claimed),
        )
    )
    for req in list(due):
        sent += _notify(
            session,
            req.partner_id,
            f"mdf-claim-due:{req.id}",
            f"Claim for MDF request #{req.id} ({req.activity_type.label}) is due by "
            f"{req.claim_due_on}.",
            f"/mdf/requests/{req.id}",
        )
    for fund in list(session.scalars(select(MdfFund))):
        if not today <= fund.expiry_date <= today + dt.timedelta(days=EXPIRY_DAYS):
            continue
        for allocation in list(
            session.scalars(
                select(MdfAllocation).where(
                    MdfAllocation.fund_id == fund.id, MdfAllocation.available_minor > 0
                )
            )
        ):
            sent += _notify(
                session,
                allocation.partner_id,
                f"mdf-expiring:{fund.id}",
                f"{allocation.balance('available')} {fund.currency} of {fund.name} are unspent "
                f"and expire on {fund.expiry_date}.",
                "/mdf",
            )
    session.flush()
    return sent


def run_daily(session: Session, today: dt.date) -> DailyResult:
    """Idempotent: run again the same day, it changes nothing more."""
    lapsed = requests.lapse_overdue(session, today)
    expired = funds.expire_funds(session, today)
    return DailyResult(lapsed, expired, remind(session, today))
