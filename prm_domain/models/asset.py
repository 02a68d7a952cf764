from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from prm_domain.base import NO_ID_REUSE, Base, str_enum, utcnow
from prm_domain.enums import AssetKind, AssetStatus, JobStatus


class Asset(Base):
    """A piece of vendor collateral partners download in their own brand.

    The audience lists are empty for "everyone"; otherwise a partner must match each non-empty
    list (tier id, region, partner type, any of the verticals).
    """

    __tablename__ = "asset"
    # The library's order (newest first): a page reads the index and stops.
    __table_args__ = (
        Index("ix_asset_updated_at_id", "updated_at", "id"),
        # What is new since a visit (prm_domain.visits), newest first.
        Index("ix_asset_published_at_id", "published_at", "id"),
        # The library's tag filter (base.json_list_has: tags @> ["tag"]) on Postgres; SQLite
        # has no inverted index and scans.
        Index("ix_asset_tags_gin", text("(CAST(tags AS JSONB))"), postgresql_using="gin").ddl_if(
            dialect="postgresql"
        ),
        NO_ID_REUSE,
    )
    __audience_target__ = "asset"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[AssetKind] = mapped_column(str_enum(AssetKind))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(2000), default="")
    category: Mapped[str] = mapped_column(String(80), default="")
    tags: Mapped[list[str]] = mapped_column(default=list)
    audience_tier_ids: Mapped[list[int]] = mapped_column(default=list)
    audience_regions: Mapped[list[str]] = mapped_column(default=list)
    audience_partner_types: Mapped[list[str]] = mapped_column(default=list)
    audience_verticals: Mapped[list[str]] = mapped_column(default=list)
    # How many of the four lists are non-empty; kept by prm_domain.models.audience.
    audience_dims: Mapped[int] = mapped_column(default=0)
    landing_url: Mapped[str | None] = mapped_column(String(2000))
    status: Mapped[AssetStatus] = mapped_column(str_enum(AssetStatus), default=AssetStatus.DRAFT)
    # The version partners get; set on publish. Newer uploads are drafts until published.
    published_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("asset_version.id", use_alter=True, ondelete="SET NULL")
    )
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # When partners last got a new version: "New" badges and "since your last visit" read it.
    published_at: Mapped[dt.datetime | None]

    versions: Mapped[list[AssetVersion]] = relationship(
        back_populates="asset",
        order_by="AssetVersion.number",
        foreign_keys="AssetVersion.asset_id",
        cascade="all, delete-orphan",
    )
    published_version: Mapped[AssetVersion | None] = relationship(
        foreign_keys=[published_version_id], post_update=True
    )

    @property
    def latest_version(self) -> AssetVersion | None:
        return self.versions[-1] if self.versions else None


class AssetVersion(Base):
    """One upload of an asset's template, with the zones that place partner branding on it."""

    __tablename__ = "asset_version"
    __table_args__ = (UniqueConstraint("asset_id", "number"), NO_ID_REUSE)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    template_key: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    size: Mapped[int]
    # [[width, height, rotation], ...] as the reader sees each page (points), or the image's
    # [[width, height, 0]] in pixels; the zone editor draws on these.
    pages: Mapped[list[Any]] = mapped_column(default=list)
    zones: Mapped[list[Any]] = mapped_column(default=list)
    thumbnail_key: Mapped[str | None] = mapped_column(String(64))
    # What was taken out of the upload before it was stored (scripts, actions that run, XFA),
    # shown to the vendor. None for a version uploaded before uploads were cleaned: each of its
    # renders looks for active content again.
    removed_content: Mapped[list[str] | None] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    asset: Mapped[Asset] = relationship(back_populates="versions", foreign_keys=[asset_id])


class RenderedFile(Base):
    """The render cache's index: what a (template version, zones, brand) rendered to."""

    __tablename__ = "rendered_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    cache_key: Mapped[str] = mapped_column(String(64), unique=True)
    storage_key: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AssetDownload(Base):
    __tablename__ = "asset_download"
    # A partner's downloads of a period (the scorecards).
    __table_args__ = (Index("ix_asset_download_partner_id_at", "partner_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("asset_version.id", ondelete="CASCADE"))
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partner.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    format: Mapped[str] = mapped_column(String(10))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class TrackedLink(Base):
    """``/r/<code>``: the vendor's landing page with the partner's attribution; counts clicks."""

    __tablename__ = "tracked_link"
    __table_args__ = (UniqueConstraint("partner_id", "asset_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partner.id", ondelete="CASCADE"), index=True
    )
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), index=True)
    clicks: Mapped[int] = mapped_column(default=0)
    last_click_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class RenderJob(Base):
    """A batch render of one asset for every partner of a segment (a Celery job)."""

    __tablename__ = "render_job"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    segment: Mapped[dict[str, Any]] = mapped_column(default=dict)
    format: Mapped[str] = mapped_column(String(10))
    status: Mapped[JobStatus] = mapped_column(str_enum(JobStatus), default=JobStatus.QUEUED)
    partner_ids: Mapped[list[int]] = mapped_column(default=list)
    done: Mapped[int] = mapped_column(default=0)
    failures: Mapped[list[Any]] = mapped_column(default=list)
    # [[partner_id, storage_key, filename], ...] of the renders done so far, zipped at the end.
    results: Mapped[list[Any]] = mapped_column(default=list)
    result_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]

    @property
    def total(self) -> int:
        return len(self.partner_ids)
