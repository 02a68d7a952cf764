"""Shapes of the syndication API: items, embeds, leads, stats."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from app.api.schemas import Id, In, Out, PageQuery
from prm_domain.enums import EmbedKind, ItemKind, LeadState, PartnerType, Region


class ItemIn(In):
    kind: ItemKind
    title: str = Field(min_length=1, max_length=200)
    content: dict[str, Any] = Field(
        default_factory=dict,
        description="banner: headline, text, cta_label, cta_url, image_url; product: name, "
        "summary, features, url, image_url; resource: description; lead_form: fields, "
        "required, consent_text, submit_label, thank_you",
    )
    asset_id: Id | None = Field(
        None, description="resources: the library asset to serve co-branded"
    )
    audience_tier_ids: list[Id] = Field(default_factory=list)
    audience_regions: list[Region] = Field(default_factory=list)
    audience_partner_types: list[PartnerType] = Field(default_factory=list)
    audience_verticals: list[str] = Field(default_factory=list)
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    active: bool = True


class ItemPatch(In):
    title: str | None = Field(None, min_length=1, max_length=200)
    content: dict[str, Any] | None = None
    asset_id: Id | None = None
    audience_tier_ids: list[Id] | None = None
    audience_regions: list[Region] | None = None
    audience_partner_types: list[PartnerType] | None = None
    audience_verticals: list[str] | None = None
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    active: bool | None = None


class ItemOut(Out):
    id: int
    kind: ItemKind
    title: str
    content: dict[str, Any]
    asset_id: Id | None
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    active: bool
    updated_at: dt.datetime


class VendorItemOut(ItemOut):
    audience_tier_ids: list[Id]
    audience_regions: list[str]
    audience_partner_types: list[str]
    audience_verticals: list[str]


class ItemQuery(PageQuery):
    kind: ItemKind | None = None
    q: str | None = Field(None, max_length=200)


class EmbedIn(In):
    kind: EmbedKind
    items: Literal["all"] | list[Id] = "all"
    allowed_domains: list[str] = Field(
        min_length=1,
        max_length=20,
        description='hosts with an optional port: "shop.example.com", "127.0.0.1:8081"',
    )
    name: str = Field("", max_length=120)
    theme: dict[str, str] = Field(default_factory=dict, description='{"primary_color": "#1a2b3c"}')
    partner_id: Id | None = Field(None, description="default: your own organisation")


class EmbedPatch(In):
    kind: EmbedKind | None = None
    items: Literal["all"] | list[Id] | None = None
    allowed_domains: list[str] | None = Field(None, min_length=1, max_length=20)
    name: str | None = Field(None, max_length=120)
    theme: dict[str, str] | None = None
    enabled: bool | None = None


class EmbedOut(Out):
    id: int
    partner_id: int
    key: str
    name: str
    kind: EmbedKind
    items: Literal["all"] | list[Id]
    allowed_domains: list[str]
    theme: dict[str, Any]
    enabled: bool
    snippet: str
    created_at: dt.datetime


class LeadOut(Out):
    id: int
    partner_id: int | None = Field(description="null while the lead is in the pool")
    embed_id: Id | None
    item_id: int | None
    source: str
    name: str
    email: str
    company: str
    phone: str
    country: str
    message: str
    page_url: str
    referrer: str
    utm: dict[str, str]
    consent_text: str
    consent_given_at: dt.datetime | None
    created_at: dt.datetime
    assigned_user_id: int | None
    state: LeadState
    region: str
    vertical: str
    accept_by: dt.datetime | None = Field(description="an offered lead moves on after this")
    state_changed_at: dt.datetime | None
    lost_reason: str
    converted_deal_id: int | None
    contact_hidden: bool = Field(
        False,
        description="email and phone are withheld (empty) until your organisation accepts "
        "or claims the lead",
    )


class LeadPatch(In):
    assigned_user_id: Id | None = Field(
        description="a member of the lead's organisation, or null for nobody"
    )


class LeadQuery(PageQuery):
    embed_id: Id | None = None
    state: LeadState | None = None


class StatsQuery(BaseModel):
    days: int = Field(30, ge=1, le=366)


class StatRow(Out):
    impressions: int
    clicks: int
    leads: int
    ctr: float


class DayStat(StatRow):
    day: str


class ItemStat(StatRow):
    item_id: int


class StatsOut(Out):
    embed_id: int
    days: list[DayStat]
    items: list[ItemStat]
    totals: StatRow
