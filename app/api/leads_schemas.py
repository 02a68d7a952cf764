"""Shapes of the lead routing API: vendor leads, answers to offers, routing rules."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from app.api.schemas import Id, In, Out
from app.api.syndication_schemas import LeadOut
from prm_domain.enums import PartnerType, Region


class LeadIn(In):
    email: str = Field(max_length=254)
    name: str = Field("", max_length=120)
    company: str = Field("", max_length=200)
    phone: str = Field("", max_length=40)
    country: str = Field("", max_length=2, description="ISO 3166 alpha-2 code")
    region: Region | None = None
    vertical: str = Field("", max_length=80)
    message: str = Field("", max_length=4000)


class LeadImportOut(Out):
    created: int
    lead_ids: list[int]


class LeadConvertIn(In):
    deal_id: Id | None = Field(None, description="the deal registration, when already made")


class LeadConvertOut(Out):
    lead: LeadOut
    deal_prefill: dict[str, str] = Field(
        description="the deal registration form's fields, filled from the lead"
    )


class LeadLostIn(In):
    reason: str = Field(min_length=1, max_length=500)


class RuleFields(In):
    position: int = Field(100, ge=0, le=10_000, description="rules are tried lowest first")
    active: bool = True
    countries: list[str] = Field(default_factory=list, description="ISO 3166 alpha-2 codes")
    regions: list[Region] = Field(default_factory=list)
    partner_types: list[PartnerType] = Field(default_factory=list)
    verticals: list[str] = Field(default_factory=list)
    required_certifications: list[str] = Field(
        default_factory=list, description="certification codes every eligible partner holds"
    )
    tier_ids: list[Id] = Field(default_factory=list)
    capacity: int | None = Field(
        None, ge=1, le=100_000, description="most open leads a partner may hold"
    )


class RuleIn(RuleFields):
    name: str = Field(min_length=1, max_length=120)


class RulePatch(In):
    name: str | None = Field(None, min_length=1, max_length=120)
    position: int | None = Field(None, ge=0, le=10_000)
    active: bool | None = None
    countries: list[str] | None = None
    regions: list[Region] | None = None
    partner_types: list[PartnerType] | None = None
    verticals: list[str] | None = None
    required_certifications: list[str] | None = None
    tier_ids: list[Id] | None = None
    capacity: int | None = Field(None, ge=1, le=100_000)


class RuleOut(Out):
    id: int
    name: str
    position: int
    active: bool
    countries: list[str]
    regions: list[str]
    partner_types: list[str]
    verticals: list[str]
    required_certifications: list[str]
    tier_ids: list[int]
    capacity: int | None
    created_at: dt.datetime
    updated_at: dt.datetime
