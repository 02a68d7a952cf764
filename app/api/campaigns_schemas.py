"""Shapes of the campaign API: campaigns and items (vendor), enrolments and contacts
(partner), publications (both)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from app.api.schemas import Id, In, Out, PageQuery
from prm_domain.enums import (
    CampaignItemKind,
    CampaignStatus,
    ContactStatus,
    EnrolmentStatus,
    PartnerType,
    PublicationState,
    Region,
)


class CampaignIn(In):
    name: str = Field(min_length=1, max_length=200)
    goal: str = Field("", max_length=1000)
    audience_tier_ids: list[Id] = Field(default_factory=list, max_length=50)
    audience_regions: list[Region] = Field(default_factory=list, max_length=10)
    audience_partner_types: list[PartnerType] = Field(default_factory=list, max_length=10)
    audience_verticals: list[str] = Field(default_factory=list, max_length=30)
    starts_on: dt.date | None = Field(None, description="YYYY-MM-DD")
    mdf_fund_id: Id | None = Field(None, description="the MDF fund the campaign may draw on")


class CampaignPatch(In):
    name: str | None = Field(None, min_length=1, max_length=200)
    goal: str | None = Field(None, max_length=1000)
    audience_tier_ids: list[Id] | None = Field(None, max_length=50)
    audience_regions: list[Region] | None = Field(None, max_length=10)
    audience_partner_types: list[PartnerType] | None = Field(None, max_length=10)
    audience_verticals: list[str] | None = Field(None, max_length=30)
    starts_on: dt.date | None = None
    mdf_fund_id: Id | None = None


class CampaignOut(Out):
    id: int
    name: str
    goal: str
    audience_tier_ids: list[int]
    audience_regions: list[str]
    audience_partner_types: list[str]
    audience_verticals: list[str]
    starts_on: dt.date | None
    mdf_fund_id: int | None
    status: CampaignStatus
    launched_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class CampaignQuery(PageQuery):
    status: CampaignStatus | None = None
    q: str | None = Field(None, max_length=200, description="search in the name")


class ItemIn(In):
    kind: CampaignItemKind
    title: str = Field("", max_length=200)
    text: str | None = Field(
        None, max_length=3000, description="may use {{ partner.name }}, {{ link }} ..."
    )
    subject: str | None = Field(None, max_length=200)
    preheader: str | None = Field(None, max_length=200)
    asset_id: Id | None = None
    editable: list[str] | None = Field(
        None, max_length=3, description="fields a partner may change: text, subject, preheader"
    )
    max_length: int | None = Field(None, ge=1, le=3000)
    day: int | None = Field(None, ge=0, le=365, description="days after the partner approves")
    time: str | None = Field(None, description="HH:MM in the partner's time zone")
    at: dt.datetime | None = Field(None, description="a fixed moment instead of day and time")


class ItemOut(Out):
    id: int
    campaign_id: int
    position: int
    kind: CampaignItemKind
    title: str
    text: str
    subject: str
    preheader: str
    asset_id: int | None
    editable: list[str]
    max_length: int | None
    day: int | None
    time: str | None
    at: dt.datetime | None


class ItemsOut(Out):
    items: list[ItemOut]


class EnrolmentOut(Out):
    id: int
    campaign_id: int
    campaign_name: str
    partner_id: int
    status: EnrolmentStatus
    channel_ids: list[int]
    item_ids: list[int] | None
    edits: dict[str, Any]
    invited_at: dt.datetime
    approved_at: dt.datetime | None


class EnrolmentQuery(PageQuery):
    campaign_id: Id | None = None
    status: EnrolmentStatus | None = None


class ApproveIn(In):
    channel_ids: list[Id] | None = Field(
        None, max_length=20, description="your channels; default: the built-in outbox"
    )
    item_ids: list[Id] | None = Field(None, max_length=100, description="default: every item")
    edits: dict[str, dict[str, str]] = Field(
        default_factory=dict, description='{"<item id>": {"text": "..."}}'
    )


class PublicationOut(Out):
    id: int
    campaign_id: int | None
    item_id: int | None
    partner_id: int
    channel_id: int | None
    kind: str
    state: PublicationState
    due_at: dt.datetime
    published_at: dt.datetime | None
    external_id: str
    external_url: str
    attempts: int
    last_error: str


class PublicationQuery(PageQuery):
    campaign_id: Id | None = None
    partner_id: Id | None = None
    channel_id: Id | None = None
    state: PublicationState | None = None


class ContactIn(In):
    email: str = Field(min_length=3, max_length=254)
    name: str = Field("", max_length=200)
    consent_source: str = Field(
        min_length=1, max_length=200, description="where the consent came from"
    )


class ContactOut(Out):
    id: int
    email: str
    name: str
    consent_source: str
    status: ContactStatus
    unsubscribed_at: dt.datetime | None
    created_at: dt.datetime


class ContactQuery(PageQuery):
    q: str | None = Field(None, max_length=200)
    status: ContactStatus | None = None


class ImportQuery(BaseModel):
    consent_source: str | None = Field(
        None, max_length=200, description="for rows without a consent_source column"
    )


class ImportOut(Out):
    added: int
    duplicates: int
    invalid: list[dict[str, Any]]


class ResultsOut(Out):
    invited: int
    approved: int
    opted_out: int
    paused: int
    published: int
    failed: int
    scheduled: int
    clicks: int
    leads: int
    mdf_drawn: str | None
