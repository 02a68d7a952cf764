"""Shapes of the asset library API (brand kits, assets, versions, zones, renders, jobs)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from app.api.schemas import Id, In, Out, PageQuery
from prm_domain.enums import AssetKind, AssetStatus, JobStatus, PartnerType, Region


class BrandKitOut(Out):
    partner_id: int
    primary_color: str
    contact_name: str
    contact_title: str
    contact_email: str
    contact_phone: str
    contact_website: str
    contact_address: str
    has_logo: bool
    has_logo_on_dark: bool
    version: int


class BrandKitPatch(In):
    primary_color: str | None = Field(None, description="#rrggbb")
    contact_name: str | None = Field(None, max_length=120)
    contact_title: str | None = Field(None, max_length=120)
    contact_email: str | None = Field(None, max_length=254)
    contact_phone: str | None = Field(None, max_length=40)
    contact_website: str | None = Field(None, max_length=200)
    contact_address: str | None = Field(None, max_length=300)


class ZoneIn(In):
    kind: Literal["logo", "text", "qr"]
    box: list[float] = Field(
        min_length=4,
        max_length=4,
        description="x, y, width, height: fractions of the page as a reader sees it, from top-left",
    )
    pages: Literal["all", "first", "last"] | list[int] = "all"
    text: str = Field("", max_length=500, description='a template such as "{{ contact.phone }}"')
    color: str | None = None
    align: Literal["left", "center", "right"] = "left"
    valign: Literal["top", "middle", "bottom"] = "middle"
    font_size: float | None = None
    on_dark: bool = False
    bold: bool = False
    wrap: bool = Field(False, description="text zones: wrap onto several lines before shrinking")


class ZonesIn(In):
    zones: list[ZoneIn] = Field(max_length=50)


class VersionOut(Out):
    id: int
    number: int
    filename: str
    size: int
    pages: list[Any]
    zones: list[dict[str, Any]]
    # What was removed from the upload before storing it (JavaScript, actions, XFA); null for
    # versions uploaded before uploads were cleaned.
    removed_content: list[str] | None = None
    created_at: dt.datetime


class AssetIn(In):
    kind: AssetKind
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=2000)
    category: str = Field("", max_length=80)
    tags: list[str] = Field(default_factory=list, max_length=30)
    audience_tier_ids: list[Id] = Field(default_factory=list)
    audience_regions: list[Region] = Field(default_factory=list)
    audience_partner_types: list[PartnerType] = Field(default_factory=list)
    audience_verticals: list[str] = Field(default_factory=list, max_length=30)
    landing_url: str | None = Field(
        None, max_length=2000, description="where tracked links and QR codes lead"
    )


class AssetPatch(In):
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)
    category: str | None = Field(None, max_length=80)
    tags: list[str] | None = Field(None, max_length=30)
    audience_tier_ids: list[Id] | None = None
    audience_regions: list[Region] | None = None
    audience_partner_types: list[PartnerType] | None = None
    audience_verticals: list[str] | None = Field(None, max_length=30)
    landing_url: str | None = Field(None, max_length=2000)


class AssetOut(Out):
    id: int
    kind: AssetKind
    name: str
    description: str
    category: str
    tags: list[str]
    status: AssetStatus
    published_version_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime
    formats: list[str]


class VendorAssetOut(AssetOut):
    audience_tier_ids: list[Id]
    audience_regions: list[str]
    audience_partner_types: list[str]
    audience_verticals: list[str]
    landing_url: str | None
    versions: list[VersionOut]


class PublishedOut(VendorAssetOut):
    reach: int = Field(description="active partners in the audience, who get it now")
    audience: str = Field(description='the audience in words, e.g. "Gold only"')
    brand_fields: list[str] | None = Field(
        None, description="emails: the partner placeholders it uses (empty: no partner branding)"
    )


class UploadedVersionOut(VersionOut):
    brand_fields: list[str] | None = Field(
        None, description="emails: the partner placeholders it uses (empty: no partner branding)"
    )


class AssetQuery(PageQuery):
    q: str | None = Field(None, max_length=200, description="search in name and description")
    kind: AssetKind | None = None
    category: str | None = Field(None, max_length=80)
    tag: str | None = Field(None, max_length=40)
    status: AssetStatus | None = Field(None, description="vendors only")


class PublishIn(In):
    version_id: Id | None = Field(None, description="default: the newest version")


class RenderQuery(BaseModel):
    format: str = Field(
        description="pdf | preview (PDF); png | jpeg | preview (social); html | eml | txt (email)"
    )
    partner_id: Id | None = Field(
        None, description="whose brand; partners: their own (the default)"
    )
    version_id: Id | None = Field(None, description="vendors: preview a version not yet published")
    download: bool = Field(False, description="send as an attachment and count the download")


class PageImageQuery(BaseModel):
    width: int = Field(600, ge=50, le=2000)


class LinkQuery(BaseModel):
    partner_id: Id | None = None


class LinkOut(Out):
    code: str
    url: str
    clicks: int
    target: str | None


class DownloadCountOut(Out):
    partner_id: int
    partner_name: str
    downloads: int


class DownloadCountsOut(Out):
    items: list[DownloadCountOut]
    total: int


class SegmentIn(In):
    tier_ids: list[Id] = Field(default_factory=list)
    regions: list[Region] = Field(default_factory=list)
    partner_types: list[PartnerType] = Field(default_factory=list)
    statuses: list[str] = Field(default_factory=list)


class BatchIn(In):
    format: str
    segment: SegmentIn = Field(default_factory=SegmentIn)


class FailureOut(Out):
    partner_id: int
    partner: str
    error: str


class JobOut(Out):
    id: int
    asset_id: int
    status: JobStatus
    format: str
    done: int
    total: int
    failures: list[FailureOut]
    download_url: str | None
    created_at: dt.datetime
    finished_at: dt.datetime | None
