"""Visibility of vendor content: which assets and syndicated items a partner gets."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, exists, false, or_, select, true

from prm_domain import audience
from prm_domain.access.status import (
    Area,
    ensure_status,
    partner_allows,
    partner_of,
)
from prm_domain.base import utcnow
from prm_domain.enums import AssetStatus
from prm_domain.models import Asset, AssetVersion, Partner, SyndicatedItem, User


def item_is_live(item: SyndicatedItem, now: dt.datetime | None = None) -> bool:
    """Active and inside its window (either end open)."""
    now = now or utcnow()
    return (
        item.active
        and (item.starts_at is None or item.starts_at <= now)
        and (item.ends_at is None or now < item.ends_at)
    )


def asset_is_published(asset: Asset) -> bool:
    return asset.status == AssetStatus.PUBLISHED and asset.published_version_id is not None


def is_published_version(asset: Asset, version: AssetVersion) -> bool:
    """Whether ``version`` is what partners get now (edits to it reach them at once)."""
    return asset_is_published(asset) and asset.published_version_id == version.id


def asset_visible_to_partner(partner: Partner, asset: Asset) -> bool:
    """Published, the partner's status opens content, and the partner is in the audience."""
    return (
        asset_is_published(asset)
        and partner_allows(partner, Area.CONTENT)
        and audience.matches(asset, partner)
    )


def item_visible_to_partner(
    partner: Partner, item: SyndicatedItem, asset: Asset | None, now: dt.datetime | None = None
) -> bool:
    """Live, in the item's audience and, for an item that offers an asset, the asset is
    visible to the partner too: an item never widens its asset's audience.

    ``asset`` is the item's asset (None when it has none, or it was deleted).
    """
    if item.asset_id is not None and (asset is None or asset.id != item.asset_id):
        return False
    return (
        partner_allows(partner, Area.CONTENT)
        and item_is_live(item, now)
        and audience.matches(item, partner)
        and (asset is None or asset_visible_to_partner(partner, asset))
    )


def assets_visible_where(partner: Partner | None, *, per_row: bool = False) -> ColumnElement[bool]:
    """:func:`asset_visible_to_partner` as a SQL condition on ``Asset``, for lists: the same
    rule, held equal to it by tests (tests/prm_domain/test_audience_sql.py).

    ``per_row`` (see ``audience.sql_matches_tags``): checked row by row, for a query that reads a
    few rows in an index's order and stops (LIMIT); the default suits counts and whole lists."""
    return assets_visible_to(content_audience(partner), per_row=per_row)


# The ``audience_of`` vendor staff: every asset, whatever its status or audience.
EVERY_ASSET = "every asset"

AudienceKey = tuple[str, ...] | str | None


def audience_of(actor: User) -> AudienceKey:
    """What decides which assets ``actor`` sees, as a value to key statements on:
    ``EVERY_ASSET`` for vendor staff, else the organisation's ``content_audience``."""
    if actor.is_vendor:
        return EVERY_ASSET
    return content_audience(partner_of(actor))


def content_audience(partner: Partner | None) -> tuple[str, ...] | None:
    """What decides which assets a partner sees, as a value: its audience tags, or None while
    its status closes content. Partners with the same value see the same assets, so a list
    can build its statements once per value (``assets_visible_to``)."""
    if partner is None or not partner_allows(partner, Area.CONTENT):
        return None
    return audience.tags_of(partner)


@functools.lru_cache(maxsize=1024)
def assets_visible_to(key: AudienceKey, *, per_row: bool = False) -> ColumnElement[bool]:
    """:func:`assets_visible_where` for an ``audience_of`` value (``EVERY_ASSET``: no
    condition; None: nothing); one condition object per value (a statement built on it keeps
    its SQLAlchemy cache key)."""
    if key == EVERY_ASSET:
        return true()
    if key is None or isinstance(key, str):
        return false()
    tags = key
    return and_(
        Asset.status == AssetStatus.PUBLISHED,
        Asset.published_version_id.is_not(None),
        audience.sql_matches_tags(Asset, tags, per_row=per_row),
    )


def items_visible_where(
    partner: Partner | None, now: dt.datetime | None = None, *, per_row: bool = False
) -> ColumnElement[bool]:
    """:func:`item_visible_to_partner` as a SQL condition on ``SyndicatedItem`` (``per_row``:
    as for :func:`assets_visible_where`)."""
    return _items_visible(content_audience(partner), now or utcnow(), per_row)


# The placeholder of the moment at which ``items_visible_to`` judges items' windows.
VISIBLE_AT = "visible_at"


@functools.lru_cache(maxsize=1024)
def items_visible_to(tags: tuple[str, ...] | None, *, per_row: bool = False) -> ColumnElement[bool]:
    """:func:`items_visible_where` for a ``content_audience`` value, with the moment left as
    the placeholder ``VISIBLE_AT`` (execute with ``{VISIBLE_AT: now}``): one condition object
    per value, so a statement built on it is built once."""
    return _items_visible(tags, bindparam(VISIBLE_AT, type_=SyndicatedItem.starts_at.type), per_row)


def _items_visible(tags: tuple[str, ...] | None, now: Any, per_row: bool) -> ColumnElement[bool]:
    """The rule of both: ``now`` is a moment or a placeholder for one."""
    if tags is None:
        return false()
    if per_row:
        asset_visible: ColumnElement[bool] = exists().where(
            Asset.id == SyndicatedItem.asset_id, assets_visible_to(tags, per_row=True)
        )
    else:
        asset_visible = SyndicatedItem.asset_id.in_(select(Asset.id).where(assets_visible_to(tags)))
    return and_(
        SyndicatedItem.active.is_(True),
        or_(SyndicatedItem.starts_at.is_(None), SyndicatedItem.starts_at <= now),
        or_(SyndicatedItem.ends_at.is_(None), SyndicatedItem.ends_at > now),
        audience.sql_matches_tags(SyndicatedItem, tags, per_row=per_row),
        or_(SyndicatedItem.asset_id.is_(None), asset_visible),
    )


def asset_visible_to(actor: User, asset: Asset, partner: Partner | None = None) -> bool:
    """Vendor staff see every asset; a partner user what their organisation may see."""
    if actor.is_vendor:
        return True
    partner = partner if partner is not None else partner_of(actor)
    return (
        partner is not None
        and partner.id == actor.partner_id
        and asset_visible_to_partner(partner, asset)
    )


def item_visible_to(actor: User, item: SyndicatedItem, asset: Asset | None) -> bool:
    if actor.is_vendor:
        return True
    partner = partner_of(actor)
    return partner is not None and item_visible_to_partner(partner, item, asset)


def ensure_content(actor: User) -> None:
    """Before any read of vendor content: the status gate (PartnerInactive names the status)."""
    ensure_status(actor, Area.CONTENT)


def embeds_served_for(partner: Partner | None) -> bool:
    """Whether a partner's embeds answer on websites at all (a non-active partner's: nothing)."""
    return partner_allows(partner, Area.EMBEDS)


def link_attributed(partner: Partner | None, asset: Asset) -> bool:
    """Whether a click on a partner's tracked link counts for the partner and carries its tags.

    A link already shared (a printed QR code, a sent email) always leads to the vendor's public
    landing page, never to the file; it is attributed only while the asset is visible to the
    partner (published, in the audience, partner active). After unpublishing, or for a
    suspended or exited partner, the visitor still lands, anonymously and uncounted.
    """
    return partner is not None and asset_visible_to_partner(partner, asset)
