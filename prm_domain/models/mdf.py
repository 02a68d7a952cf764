"""Market development funds: funds, per-partner allocations (the guarded balance row), the
append-only ledger, requests, claims, proof files and idempotency keys.

Balances are kept twice on purpose: ``MdfLedgerEntry`` is the record (Numeric amounts, never
edited), ``MdfAllocation`` holds the running balances in integer minor units (cents) so that
one conditional ``UPDATE ... WHERE available_minor >= :amount`` guards overspending on every
backend (SQLite stores ``ExactDecimal`` as text, where ``>=`` and ``-`` would not be exact).
Both are written in the same transaction by ``prm_domain.mdf.ledger.post``, the only writer.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from prm_domain.base import NO_ID_REUSE, Base, ExactDecimal, str_enum, utcnow
from prm_domain.enums import (
    MdfActivity,
    MdfAllocationRule,
    MdfClaimStatus,
    MdfEntryKind,
    MdfRequestStatus,
)

BUCKETS = ("allocated", "committed", "claimed", "paid", "expired", "available")


class MdfFund(Base):
    __tablename__ = "mdf_fund"
    __table_args__ = (
        CheckConstraint("unallocated_minor >= 0", name="unallocated_not_negative"),
        NO_ID_REUSE,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    currency: Mapped[str] = mapped_column(String(3))
    budget: Mapped[decimal.Decimal] = mapped_column(ExactDecimal(14, 2))
    starts_on: Mapped[dt.date]
    ends_on: Mapped[dt.date]
    # Claims are due this many days after the activity ends.
    claim_days: Mapped[int] = mapped_column(default=60)
    # Unspent (available) money expires on this day; None: at the end of the claim window
    # after the period (ends_on + claim_days).
    expires_on: Mapped[dt.date | None]
    # Approvals above this amount need a second approver of another role; None: never.
    second_approval_above: Mapped[decimal.Decimal | None] = mapped_column(ExactDecimal(14, 2))
    # Tier name -> amount (decimal string) for allocations by tier rule.
    tier_amounts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The budget not yet allocated, in cents: allocations take from it with a guarded UPDATE.
    unallocated_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    @property
    def expiry_date(self) -> dt.date:
        return self.expires_on or self.ends_on + dt.timedelta(days=self.claim_days)


class MdfAllocation(Base):
    """One partner's money in one fund; the balance columns are cents, never below zero."""

    __tablename__ = "mdf_allocation"
    __table_args__ = (
        UniqueConstraint("fund_id", "partner_id"),
        *(CheckConstraint(f"{b}_minor >= 0", name=f"{b}_not_negative") for b in BUCKETS),
        NO_ID_REUSE,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("mdf_fund.id", ondelete="CASCADE"), index=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partner.id", ondelete="CASCADE"), index=True
    )
    rule: Mapped[MdfAllocationRule] = mapped_column(str_enum(MdfAllocationRule))
    # For accruals: the share of closed-won revenue credited.
    accrual_percent: Mapped[decimal.Decimal | None] = mapped_column(ExactDecimal(5, 2))
    allocated_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    committed_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    claimed_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    expired_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    available_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def balance(self, bucket: str) -> decimal.Decimal:
        return decimal.Decimal(getattr(self, f"{bucket}_minor")).scaleb(-2)


class MdfLedgerEntry(Base):
    """One movement of money between balances. Append-only (``prm_domain.mdf.ledger``)."""

    __tablename__ = "mdf_ledger_entry"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(primary_key=True)
    allocation_id: Mapped[int] = mapped_column(
        ForeignKey("mdf_allocation.id", ondelete="CASCADE"), index=True
    )
    fund_id: Mapped[int] = mapped_column(ForeignKey("mdf_fund.id", ondelete="CASCADE"))
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partner.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[MdfEntryKind] = mapped_column(str_enum(MdfEntryKind))
    amount: Mapped[decimal.Decimal] = mapped_column(ExactDecimal(14, 2))
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("mdf_request.id", ondelete="SET NULL")
    )
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("mdf_claim.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(500), default="")
    # An accrual's deal, so a deal credited twice is refused (unique per allocation).
    reference: Mapped[str | None] = mapped_column(String(120))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    actor_email: Mapped[str] = mapped_column(String(254), default="system")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class MdfRequest(Base):
    """A partner's pre-approval request for a marketing activity.

    ``campaign_id`` names a campaign of the campaigns feature; it is a plain nullable integer
    without a foreign key until that table exists (a merge seam).
    """

    __tablename__ = "mdf_request"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("mdf_fund.id", ondelete="CASCADE"), index=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partner.id", ondelete="CASCADE"), index=True
    )
    allocation_id: Mapped[int] = mapped_column(ForeignKey("mdf_allocation.id", ondelete="CASCADE"))
    activity_type: Mapped[MdfActivity] = mapped_column(str_enum(MdfActivity))
    description: Mapped[str] = mapped_column(String(4000))
    starts_on: Mapped[dt.date]
    ends_on: Mapped[dt.date]
    total_cost: Mapped[decimal.Decimal] = mapped_column(ExactDecimal(14, 2))
    requested_amount: Mapped[decimal.Decimal] = mapped_column(ExactDecimal(14, 2))
    expected_leads: Mapped[int | None]
    expected_pipeline: Mapped[decimal.Decimal | None] = mapped_column(ExactDecimal(14, 2))
    campaign_id: Mapped[int | None]
    status: Mapped[MdfRequestStatus] = mapped_column(str_enum(MdfRequestStatus), index=True)
    approved_amount: Mapped[decimal.Decimal | None] = mapped_column(ExactDecimal(14, 2))
    # What is still committed for this request (approved minus claimed and released).
    open_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    first_approver_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    first_approver_role: Mapped[str | None] = mapped_column(String(32))
    first_approved_amount: Mapped[decimal.Decimal | None] = mapped_column(ExactDecimal(14, 2))
    decision_reason: Mapped[str] = mapped_column(String(1000), default="")
    claim_due_on: Mapped[dt.date]
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    reminded_on: Mapped[dt.date | None]


class MdfClaim(Base):
    __tablename__ = "mdf_claim"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("mdf_request.id", ondelete="CASCADE"), index=True
    )
    fund_id: Mapped[int] = mapped_column(ForeignKey("mdf_fund.id", ondelete="CASCADE"))
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partner.id", ondelete="CASCADE"), index=True
    )
    amount: Mapped[decimal.Decimal] = mapped_column(ExactDecimal(14, 2))
    actual_cost: Mapped[decimal.Decimal] = mapped_column(ExactDecimal(14, 2))
    results: Mapped[str] = mapped_column(String(4000), default="")
    leads_reported: Mapped[int | None]
    status: Mapped[MdfClaimStatus] = mapped_column(str_enum(MdfClaimStatus), index=True)
    approved_amount: Mapped[decimal.Decimal | None] = mapped_column(ExactDecimal(14, 2))
    decision_reason: Mapped[str] = mapped_column(String(1000), default="")
    payment_reference: Mapped[str | None] = mapped_column(String(120))
    paid_on: Mapped[dt.date | None]
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class MdfProof(Base):
    """A proof-of-performance file of a claim; the bytes are in Storage under ``key``."""

    __tablename__ = "mdf_proof"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(
        ForeignKey("mdf_claim.id", ondelete="CASCADE"), index=True
    )
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class MdfIdempotencyKey(Base):
    """The first answer to a POST carrying an ``Idempotency-Key``, per user and key."""

    __tablename__ = "mdf_idempotency_key"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    body_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int]
    response: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
