"""Request and response shapes of the MDF API. Amounts are decimal strings ("1250.00"), never
JSON numbers: a number is a 422 (floats cannot hold money exactly)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, Field

from app.api.schemas import Amount, Id, In, Out, PageQuery
from prm_domain.enums import (
    MdfActivity,
    MdfAllocationRule,
    MdfClaimStatus,
    MdfEntryKind,
    MdfRequestStatus,
)

Text = Annotated[str, Field(max_length=4000)]
Reason = Annotated[str, Field(max_length=1000)]


class FundIn(In):
    name: str = Field(max_length=120)
    currency: str = Field(max_length=3, description="ISO 4217, e.g. EUR")
    budget: Amount
    starts_on: dt.date
    ends_on: dt.date
    claim_days: int = Field(60, ge=0, le=365)
    expires_on: dt.date | None = None
    second_approval_above: Amount | None = None
    tier_amounts: dict[str, Amount] = Field(default_factory=dict)


class FundOut(Out):
    id: int
    name: str
    currency: str
    budget: str
    unallocated: str
    starts_on: dt.date
    ends_on: dt.date
    claim_days: int
    expires_on: dt.date
    second_approval_above: str | None
    tier_amounts: dict[str, str]


class AllocationIn(In):
    partner_id: Id
    rule: MdfAllocationRule = MdfAllocationRule.FIXED
    amount: Amount | None = None
    accrual_percent: Amount | None = None
    reason: Reason | None = None


class BalanceOut(Out):
    partner_id: int
    fund_id: int
    currency: str
    rule: MdfAllocationRule
    accrual_percent: str | None
    allocated: str
    committed: str
    claimed: str
    paid: str
    expired: str
    available: str


class ReallocationIn(In):
    from_partner_id: Id
    to_partner_id: Id
    amount: Amount
    reason: Reason


class BalanceQuery(PageQuery):
    partner_id: int | None = Field(None, ge=1, le=2**31 - 1)
    fund_id: int | None = Field(None, ge=1, le=2**31 - 1)


class LedgerOut(Out):
    id: int
    kind: MdfEntryKind
    amount: str
    partner_id: int
    fund_id: int
    created_at: dt.datetime
    actor: str
    request_id: int | None
    claim_id: int | None
    reason: str


class RequestIn(In):
    fund_id: Id
    activity_type: MdfActivity
    description: Text
    starts_on: dt.date
    ends_on: dt.date
    total_cost: Amount
    requested_amount: Amount
    expected_leads: int | None = Field(None, ge=0, le=10_000_000)
    expected_pipeline: Amount | None = None
    campaign_id: Id | None = Field(
        None, description="a campaign of the campaigns feature (kept as a plain id for now)"
    )


class RequestPatch(In):
    """A changed request, sent again after the vendor asked for changes."""

    activity_type: MdfActivity | None = None
    description: Text | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    total_cost: Amount | None = None
    requested_amount: Amount | None = None
    expected_leads: int | None = Field(None, ge=0, le=10_000_000)
    expected_pipeline: Amount | None = None
    campaign_id: Id | None = None


class RequestOut(Out):
    id: int
    fund_id: int
    partner_id: int
    activity_type: MdfActivity
    description: str
    starts_on: dt.date
    ends_on: dt.date
    total_cost: str
    requested_amount: str
    approved_amount: str | None
    committed: str
    expected_leads: int | None
    expected_pipeline: str | None
    campaign_id: int | None
    status: MdfRequestStatus
    decision_reason: str
    claim_due_on: dt.date
    created_at: dt.datetime


class RequestQuery(PageQuery):
    status: MdfRequestStatus | None = None
    fund_id: int | None = Field(None, ge=1, le=2**31 - 1)
    partner_id: int | None = Field(None, ge=1, le=2**31 - 1)
    activity_type: MdfActivity | None = None
    q: str | None = Field(None, max_length=100, description="words in the description")


class ApproveIn(In):
    amount: Amount | None = None
    reason: Reason = ""


class ReasonIn(In):
    reason: Reason


class ClaimForm(In):
    request_id: Id
    amount: Amount
    actual_cost: Amount
    results: Text = ""
    leads_reported: int | None = Field(None, ge=0, le=10_000_000)


class InfoForm(In):
    note: Text = ""


class ProofOut(Out):
    id: int
    filename: str
    media_type: str
    size: int
    url: str


class ClaimOut(Out):
    id: int
    request_id: int
    fund_id: int
    partner_id: int
    amount: str
    actual_cost: str
    approved_amount: str | None
    results: str
    leads_reported: int | None
    status: MdfClaimStatus
    decision_reason: str
    payment_reference: str | None
    paid_on: dt.date | None
    proofs: list[ProofOut]
    created_at: dt.datetime


class ClaimQuery(PageQuery):
    status: MdfClaimStatus | None = None
    request_id: int | None = Field(None, ge=1, le=2**31 - 1)
    partner_id: int | None = Field(None, ge=1, le=2**31 - 1)


class PayIn(In):
    reference: str = Field(max_length=120)
    paid_on: dt.date


class ExportQuery(BaseModel):
    starts_on: dt.date
    ends_on: dt.date
    format: str = Field("csv", pattern="^(csv|xlsx)$")


class RoiRowOut(Out):
    key: str
    label: str
    requests: int
    paid: str
    leads: int
    cost_per_lead: str | None
    pipeline: str
    closed_won: str
    return_per_unit: str | None


class RoiOut(Out):
    currency_note: str
    attribution: str
    activities: list[RoiRowOut]
    by_partner: list[RoiRowOut]
    by_activity_type: list[RoiRowOut]
    by_tier: list[RoiRowOut]
    by_quarter: list[RoiRowOut]


class RoiQuery(BaseModel):
    fund_id: int | None = Field(None, ge=1, le=2**31 - 1)
