"""Request and response shapes of deal registration and the direct pipeline."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Annotated, Literal

from pydantic import Field

from app.api.schemas import Amount, In, Out, PageQuery
from prm_domain.enums import DealStatus

# The deal's value, as every amount: a decimal string ("25000.00"), never a JSON number.
Money = Amount
Name = Annotated[str, Field(min_length=1, max_length=200)]


class OpportunityIn(In):
    name: Name
    stage: str = Field(min_length=1, max_length=40)
    is_open: bool = True


class AccountIn(In):
    name: Name
    domain: str = Field("", max_length=253)
    aliases: list[Annotated[str, Field(max_length=200)]] = Field(
        default_factory=list, max_length=20
    )
    owner: str = Field("", max_length=120)
    stage: str = Field("", max_length=40)
    opportunities: list[OpportunityIn] = Field(default_factory=list, max_length=50)


class OpportunityOut(Out):
    id: int
    name: str
    stage: str
    is_open: bool


class AccountOut(Out):
    id: int
    name: str
    domain: str
    aliases: list[str]
    owner: str
    stage: str
    opportunities: list[OpportunityOut]
    created_at: dt.datetime


class AccountQuery(PageQuery):
    q: str | None = Field(None, max_length=200, description="search in the name")


class ImportOut(Out):
    imported: int


class CheckIn(In):
    company: Name
    contact_email: str | None = Field(None, max_length=254)


class ConflictOut(Out):
    source: Literal["account", "opportunity", "registration"]
    id: int | None = Field(description="null for another partner's registration")
    name: str | None = Field(description="null for another partner's registration")
    score: float
    reason: str


class CheckOut(Out):
    conflicts: list[ConflictOut]


class DealIn(In):
    company: Name
    contact_name: str = Field(min_length=1, max_length=120)
    contact_email: str = Field(max_length=254)
    country: str = Field(min_length=2, max_length=2, description="ISO 3166 alpha-2")
    products: list[Annotated[str, Field(max_length=80)]] = Field(
        default_factory=list, max_length=20
    )
    estimated_value: Money
    expected_close: dt.date
    notes: str = Field("", max_length=2000)
    lead_id: int | None = Field(
        None,
        ge=1,
        le=2**31 - 1,
        description="One of the organisation's accepted leads: registering converts it",
    )


class DealPatch(In):
    """Vendor: status, decision_reason, stage, extension (approved/denied). Partner: products,
    estimated_value, expected_close, notes, extension ("requested") with extension_reason."""

    status: DealStatus | None = None
    decision_reason: str | None = Field(None, max_length=500)
    stage: str | None = Field(None, max_length=40)
    extension: Literal["requested", "approved", "denied"] | None = None
    extension_reason: str | None = Field(None, max_length=500)
    products: list[Annotated[str, Field(max_length=80)]] | None = Field(None, max_length=20)
    estimated_value: Money | None = None
    expected_close: dt.date | None = None
    notes: str | None = Field(None, max_length=2000)


class DealOut(Out):
    id: int
    partner_id: int
    company: str
    contact_name: str
    contact_email: str
    country: str
    products: list[str]
    estimated_value: decimal.Decimal
    expected_close: dt.date
    notes: str
    status: DealStatus
    stage: str
    flagged: bool
    conflicts: list[ConflictOut]
    decision_reason: str
    decided_at: dt.datetime | None
    protected_until: dt.date | None
    extension_status: str
    extension_reason: str
    created_at: dt.datetime
    updated_at: dt.datetime


class DealQuery(PageQuery):
    status: DealStatus | None = None
    flagged: bool | None = None
    q: str | None = Field(None, max_length=200, description="search in company and contact email")


class WebhookIn(In):
    url: str = Field(min_length=1, max_length=2000, description="https URL on a public host")


class DeliveryOut(Out):
    id: int
    event_id: str
    type: str
    status: Literal["delivered", "pending", "failed"]
    attempts: int
    last_error: str
    delivered_at: dt.datetime | None
    created_at: dt.datetime


class WebhookOut(Out):
    id: int
    url: str
    active: bool
    created_at: dt.datetime
    last_delivery: DeliveryOut | None = None
    pending: int = 0
    failed: int = 0


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(
        description="signs every delivery (X-Cobrand-Signature); shown in this answer only"
    )


class WebhookListOut(Out):
    items: list[WebhookOut]
