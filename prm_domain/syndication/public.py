"""What an embed shows to a website visitor, and to which websites it answers."""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from prm_domain import access, brandkits
from prm_domain.enums import EMBED_SHOWS, ItemKind
from prm_domain.errors import NotFound
from prm_domain.models import Asset, BrandKit, Embed, Partner, SyndicatedItem
from prm_domain.rendering import FORMATS
from prm_domain.syndication.items import newest_item_rows, newest_items_for_partner

DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_host(origin: str | None) -> str | None:
    """``https://Shop.Example.com:8443`` -> ``shop.example.com:8443``; default ports dropped."""
    if not origin or origin == "null" or len(origin) > 300:
        return None
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or parts.path not in ("", "/"):
        return None
    host = parts.hostname.lower().rstrip(".")
    if port is not None and port != DEFAULT_PORTS[parts.scheme]:
        return f"{host}:{port}"
    return host


def origin_allowed(allowed_domains: list[str], origin: str | None) -> bool:
    """Exact host (and port) match against the embed's list; never a suffix or pattern match."""
    host = origin_host(origin)
    return host is not None and host in allowed_domains


class Served(NamedTuple):
    """An embed that answers, with its partner and the partner's brand kit."""

    embed: Embed
    partner: Partner
    kit: BrandKit


def embed_for_key(session: Session, key: str) -> Embed:
    return served_embed(session, key).embed


def served_embed(session: Session, key: str) -> Served:
    """The embed of ``key`` if it answers, with its partner and brand kit, in one query."""
    if (
        not isinstance(key, str)
        or not 10 <= len(key) <= 32
        or not key.replace("-", "").replace("_", "").isalnum()
    ):
        raise NotFound("Unknown embed.")
    # The kit is read afresh (as brandkits.kits_for does): a long-lived session must not
    # answer with a brand another request has changed since.
    row = session.execute(
        select(Embed, Partner, BrandKit)
        .join(Partner, Partner.id == Embed.partner_id)
        .outerjoin(BrandKit, BrandKit.partner_id == Partner.id)
        .where(Embed.key == key)
        .execution_options(populate_existing=True)
    ).first()
    if row is None:
        raise NotFound("Unknown embed.")
    embed, partner, kit = row
    if not embed.enabled or not access.embeds_served_for(partner):
        raise NotFound("Unknown embed.")
    return Served(embed, partner, kit if kit is not None else brandkits.empty_kit(partner.id))


# Every table an embed's content (served_embed and content) reads: an answer kept by a cache
# stays right while their change tokens (prm_domain.changes) stay the same, and while the clock
# has not passed the next start or end of an item (next_window_change).
CONTENT_READS: tuple[str, ...] = (
    "embed",
    "partner",
    "tier",
    "brand_kit",
    "syndicated_item",
    "audience_entry",
    "asset",
)


def next_window_change(session: Session, now: dt.datetime) -> dt.datetime | None:
    """The next moment an item starts or ends (what an embed shows can change then with no
    write at all), None if none is ahead."""
    starts, ends = session.execute(
        select(
            func.min(SyndicatedItem.starts_at).filter(SyndicatedItem.starts_at > now),
            func.min(SyndicatedItem.ends_at).filter(SyndicatedItem.ends_at > now),
        )
    ).one()
    found = [t for t in (starts, ends) if t is not None]
    return min(found) if found else None


# What one embed shows of each kind at most: the newest. An embed of "all items" on a large
# library stays a page-sized answer (and a widget a page-sized widget).
MAX_ITEMS_PER_KIND = 24


def live_items(
    session: Session, embed: Embed, partner: Partner | None = None
) -> list[SyndicatedItem]:
    """What the embed shows now, in id order: the partner's visible items of the kinds the
    embed shows (of those it chose, if it chose), the newest MAX_ITEMS_PER_KIND of each.
    ``partner``: the embed's, if the caller holds it already."""
    partner = partner if partner is not None else session.get(Partner, embed.partner_id)
    assert partner is not None
    return newest_items_for_partner(
        session, partner, embed.item_ids, EMBED_SHOWS[embed.kind], MAX_ITEMS_PER_KIND
    )


def resource_asset(session: Session, embed: Embed, item_id: int) -> tuple[Partner, Asset]:
    """The asset a resource item of the embed offers for download, if the embed shows the item
    and the asset is visible to the embed's partner now; else NotFound."""
    partner = session.get(Partner, embed.partner_id)
    item = next((i for i in live_items(session, embed) if i.id == item_id), None)
    asset = session.get(Asset, item.asset_id) if item is not None and item.asset_id else None
    if (
        partner is None
        or asset is None
        or asset.published_version is None
        or not access.asset_visible_to_partner(partner, asset)
    ):
        raise NotFound("This resource is not available.")
    return partner, asset


def content(
    session: Session,
    embed: Embed,
    base_url: str,
    served: Served | None = None,
    *,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The embed's content as the widget renders it. Text is data: the widget inserts it as text.

    ``served``: the embed with its partner and kit from :func:`served_embed` (else read here);
    ``now``: the moment the items' windows are judged at (default: now)."""
    if served is not None and served.embed is embed:
        partner, kit = served.partner, served.kit
    else:
        found = session.get(Partner, embed.partner_id)
        assert found is not None
        partner, kit = found, brandkits.kit_for(session, found.id)
    base = f"{base_url.rstrip('/')}/syndication/v1/embeds/{embed.key}"
    out: dict[str, Any] = {
        "key": embed.key,
        "kind": embed.kind.value,
        "theme": {
            "primary_color": embed.theme.get("primary_color") or kit.primary_color or "#1c5fb8",
            "partner_name": partner.name,
            "logo_url": f"{base}/logo" if kit.logo_key else None,
        },
        "banners": [],
        "products": [],
        "resources": [],
        "forms": [],
        "events_url": f"{base}/events",
        "leads_url": f"{base}/leads",
    }
    items = newest_item_rows(
        session, partner, embed.item_ids, EMBED_SHOWS[embed.kind], MAX_ITEMS_PER_KIND, now
    )
    # The resources' assets in one query, held here: the session's identity map holds objects
    # weakly, so a list read and dropped would be gone again for a session.get below.
    asset_ids = sorted({i.asset_id for i in items if i.asset_id is not None})
    assets = (
        {a.id: a for a in session.scalars(select(Asset).where(Asset.id.in_(asset_ids)))}
        if asset_ids
        else {}
    )
    for item in items:
        c = item.content
        if item.kind == ItemKind.BANNER:
            out["banners"].append(
                {
                    "id": item.id,
                    "headline": c.get("headline", ""),
                    "text": c.get("text", ""),
                    "image_url": c.get("image_url"),
                    "cta_label": c.get("cta_label", ""),
                    "cta_url": c.get("cta_url"),
                }
            )
        elif item.kind == ItemKind.PRODUCT:
            out["products"].append(
                {
                    "id": item.id,
                    "name": c.get("name") or item.title,
                    "summary": c.get("summary", ""),
                    "image_url": c.get("image_url"),
                    "features": c.get("features", []),
                    "url": c.get("url"),
                }
            )
        elif item.kind == ItemKind.RESOURCE:
            asset = assets.get(item.asset_id) if item.asset_id else None
            if asset is None or not access.asset_visible_to_partner(partner, asset):
                continue  # live_items asked already; a resource without its asset shows nothing
            fmt = next(f for f in FORMATS[asset.kind] if f != "preview")
            out["resources"].append(
                {
                    "id": item.id,
                    "title": item.title,
                    "description": c.get("description") or asset.description,
                    "format": fmt,
                    "thumbnail_url": f"{base}/resources/{item.id}/thumbnail",
                    "download_url": f"{base}/resources/{item.id}",
                }
            )
        elif item.kind == ItemKind.LEAD_FORM:
            out["forms"].append(
                {
                    "id": item.id,
                    "title": item.title,
                    "fields": c.get("fields", []),
                    "required": c.get("required", ["email"]),
                    "consent_text": c.get("consent_text", ""),
                    "privacy_url": c.get("privacy_url"),
                    "submit_label": c.get("submit_label") or "Send",
                    "thank_you": c.get("thank_you") or "Thank you! We will be in touch soon.",
                }
            )
    return out
