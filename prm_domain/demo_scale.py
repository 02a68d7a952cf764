"""A size-up data set: the demo at the size of a real programme, for benchmarks (issue 12).

``cobrand demo --scale`` loads the ordinary demo, then adds (by default) 1,000 partners over all
tiers, regions, types and verticals, 10,000 assets and 10,000 syndicated items with audiences,
1,000 embeds, 100,000 leads and a year of daily events (embed statistics and downloads).

Rows go in through Core ``INSERT``s in batches, not the services: the services' per-row checks
and audit entries would take most of an hour at this size and prove nothing new here. Every
row is still a valid row of the same tables (the services' own tests cover their rules), and
the generator is seeded, so two runs make the same data. Idempotent: a data set already there
(its first partner exists) is left alone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from prm_domain import audience, demo, passwords
from prm_domain.base import utcnow
from prm_domain.enums import (
    AssetStatus,
    BusinessModel,
    EmbedKind,
    ItemKind,
    PartnerStatus,
    PartnerType,
    Region,
    Role,
)
from prm_domain.models import (
    Asset,
    AssetDownload,
    AssetVersion,
    BrandKit,
    Embed,
    EmbedDailyStat,
    Lead,
    Partner,
    SyndicatedItem,
    Tier,
    User,
)
from prm_domain.storage import Storage

BATCH = 5_000
FIRST_PARTNER = "Scale Partner 0001"
VERTICALS = ["healthcare", "finance", "retail", "manufacturing", "public_sector", "education"]
COUNTRIES = {
    Region.NORTH_AMERICA: ["US", "CA"],
    Region.LATIN_AMERICA: ["BR", "MX", "AR"],
    Region.EMEA: ["DE", "FR", "GB", "NL", "ES", "ZA"],
    Region.APAC: ["AU", "JP", "SG", "IN"],
}
WORDS = [
    "cloud",
    "backup",
    "security",
    "compute",
    "storage",
    "network",
    "edge",
    "data",
    "platform",
    "migration",
    "compliance",
    "identity",
    "analytics",
    "recovery",
    "kubernetes",
    "serverless",
    "observability",
]


@dataclass(frozen=True)
class ScaleSize:
    partners: int = 1_000
    assets: int = 10_000
    items: int = 10_000
    embeds: int = 1_000
    leads: int = 100_000
    days: int = 365
    downloads: int = 100_000


@dataclass(frozen=True)
class ScaleReport:
    created: bool
    counts: dict[str, int]


def _batches(rows: Iterator[dict[str, Any]], size: int = BATCH) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert(session: Session, table: Any, rows: Iterator[dict[str, Any]]) -> int:
    target: Table = table.__table__
    total = 0
    for batch in _batches(rows):
        session.execute(insert(target), batch)
        total += len(batch)
    return total


def _ids(session: Session, column: Any, where: Any) -> list[int]:
    return list(session.scalars(select(column).where(where).order_by(column)))


def _audience(rng: random.Random, tier_ids: Sequence[int]) -> dict[str, list[Any]]:
    """About half for everyone; the rest narrowed by one or two of the four criteria, so a
    partner sees a realistic share of the library rather than all or nothing."""
    out: dict[str, list[Any]] = {
        "audience_tier_ids": [],
        "audience_regions": [],
        "audience_partner_types": [],
        "audience_verticals": [],
    }
    if rng.random() < 0.5:
        return out
    for name in rng.sample(list(out), rng.choice((1, 2))):
        if name == "audience_tier_ids":
            out[name] = sorted(rng.sample(list(tier_ids), rng.randint(1, len(tier_ids))))
        elif name == "audience_regions":
            out[name] = sorted(rng.sample([r.value for r in Region], rng.randint(1, 2)))
        elif name == "audience_partner_types":
            out[name] = sorted(rng.sample([t.value for t in PartnerType], rng.randint(1, 3)))
        else:
            out[name] = sorted(rng.sample(VERTICALS, rng.randint(1, 2)))
    return out


def _title(rng: random.Random, n: int) -> str:
    return f"{' '.join(w.capitalize() for w in rng.sample(WORDS, 3))} {n:05d}"


def load(
    session: Session, storage: Storage, size: ScaleSize | None = None, seed: int = 12
) -> ScaleReport:
    """Load the demo, then the size-up rows on top (the caller commits)."""
    demo.load(session, storage)
    return add(session, size, seed)


def add(
    session: Session,
    size: ScaleSize | None = None,
    seed: int = 12,
    password_hash: str | None = None,
) -> ScaleReport:
    """The size-up rows, on top of whatever tiers, vendor staff and published assets exist.
    ``password_hash`` (of the demo password) saves hashing it again."""
    size = size or ScaleSize()
    if session.scalar(select(Partner.id).where(Partner.name_key == FIRST_PARTNER.casefold())):
        return ScaleReport(created=False, counts={})
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not a secret
    now = utcnow()
    tier_ids = list(session.scalars(select(Tier.id).order_by(Tier.rank)))
    counts: dict[str, int] = {}

    # Partners over every tier, region, type and vertical; most active, as in a live programme.
    statuses = [PartnerStatus.ACTIVE] * 17 + [PartnerStatus.ONBOARDING, PartnerStatus.PROSPECT]
    statuses += [PartnerStatus.SUSPENDED]

    def partner_rows() -> Iterator[dict[str, Any]]:
        for n in range(1, size.partners + 1):
            region = list(Region)[n % len(Region)]
            name = f"Scale Partner {n:04d}"
            yield {
                "name": name,
                "name_key": name.casefold(),
                "type": list(PartnerType)[n % len(PartnerType)],
                "tier_id": tier_ids[n % len(tier_ids)],
                "country": rng.choice(COUNTRIES[region]),
                "region": region,
                "verticals": sorted(rng.sample(VERTICALS, rng.randint(1, 3))),
                "business_model": list(BusinessModel)[n % len(BusinessModel)],
                "website_domains": [f"scale{n:04d}.example"],
                "status": statuses[n % len(statuses)],
                "dpa_signed_on": now.date(),
                "created_at": now - dt.timedelta(days=rng.randint(30, 900)),
                "updated_at": now,
            }

    counts["partners"] = _insert(session, Partner, partner_rows())
    partner_ids = _ids(session, Partner.id, Partner.name.like("Scale Partner %"))

    # One admin per partner. One hash for all: argon2 is slow on purpose, a thousand of them
    # would take a minute, and every scale login shares the demo's published password anyway.
    password_hash = password_hash or passwords.hash_password(demo.DEMO_PASSWORD)
    counts["users"] = _insert(
        session,
        User,
        (
            {
                "email": f"admin@scale{n:04d}.example",
                "password_hash": password_hash,
                "display_name": f"Admin {n:04d}",
                "role": Role.PARTNER_ADMIN,
                "partner_id": pid,
                "active": True,
                "created_at": now,
            }
            for n, pid in enumerate(partner_ids, start=1)
        ),
    )
    counts["brand_kits"] = _insert(
        session,
        BrandKit,
        (
            {
                "partner_id": pid,
                "primary_color": f"#{rng.randrange(0x1000000):06x}",
                "contact_name": f"Contact {n:04d}",
                "contact_email": f"sales@scale{n:04d}.example",
                "contact_phone": f"+1 555 01{n % 100:02d}",
                "contact_website": f"https://scale{n:04d}.example",
                "version": 1,
                "updated_at": now,
            }
            for n, pid in enumerate(partner_ids, start=1)
        ),
    )

    # Assets reuse the demo's stored templates (one file each, many rows), so the size-up
    # costs rows, not gigabytes, and every asset still renders.
    templates = list(
        session.execute(
            select(Asset.kind, AssetVersion)
            .join(AssetVersion, AssetVersion.id == Asset.published_version_id)
            .where(Asset.status == AssetStatus.PUBLISHED)
        ).all()
    )
    admin_id = session.scalar(select(User.id).where(User.role == Role.VENDOR_ADMIN))
    categories = ["Brochures", "Datasheets", "Emails", "Social", "Case studies", "Guides"]
    if templates:
        asset_rows = []
        for n in range(1, size.assets + 1):
            kind, _ = templates[n % len(templates)]
            asset_rows.append(
                {
                    "kind": kind,
                    "name": _title(rng, n),
                    "description": " ".join(rng.sample(WORDS, 8)),
                    "category": rng.choice(categories),
                    "tags": sorted(rng.sample(WORDS, 2)),
                    "status": AssetStatus.PUBLISHED,
                    "created_by_id": admin_id,
                    "created_at": now - dt.timedelta(days=rng.randint(0, 365)),
                    "updated_at": now,
                    "published_at": now - dt.timedelta(days=rng.randint(0, 365)),
                    **_audience(rng, tier_ids),
                }
            )
        first = session.scalar(select(Asset.id).order_by(Asset.id.desc()).limit(1)) or 0
        counts["assets"] = _insert(session, Asset, iter(asset_rows))
        asset_ids = _ids(session, Asset.id, Asset.id > first)
        version_rows = []
        for n, aid in enumerate(asset_ids, start=1):
            _, version = templates[n % len(templates)]
            version_rows.append(
                {
                    "asset_id": aid,
                    "number": 1,
                    "template_key": version.template_key,
                    "filename": version.filename,
                    "size": version.size,
                    "pages": version.pages,
                    "zones": version.zones,
                    "thumbnail_key": version.thumbnail_key,
                    "removed_content": version.removed_content,
                    "created_by_id": admin_id,
                    "created_at": now,
                }
            )
        _insert(session, AssetVersion, iter(version_rows))
        table: Table = Asset.__table__  # type: ignore[assignment]
        session.execute(
            update(table)
            .where(table.c.id == bindparam("aid"))
            .values(published_version_id=bindparam("vid")),
            [
                {"aid": aid, "vid": vid}
                for aid, vid in session.execute(
                    select(AssetVersion.asset_id, AssetVersion.id).where(
                        AssetVersion.asset_id > first
                    )
                )
            ],
        )
    else:
        asset_ids = []

    kinds = [ItemKind.BANNER, ItemKind.PRODUCT, ItemKind.RESOURCE, ItemKind.LEAD_FORM]

    def item_rows() -> Iterator[dict[str, Any]]:
        for n in range(1, size.items + 1):
            kind = kinds[n % len(kinds)]
            title = _title(rng, n)
            content: dict[str, Any]
            if kind is ItemKind.BANNER:
                content = {
                    "headline": title,
                    "text": " ".join(rng.sample(WORDS, 10)),
                    "cta_label": "Learn more",
                    "cta_url": f"https://nimbus.example/{n}",
                }
            elif kind is ItemKind.PRODUCT:
                content = {
                    "name": title,
                    "summary": " ".join(rng.sample(WORDS, 8)),
                    "features": rng.sample(WORDS, 3),
                    "url": f"https://nimbus.example/p/{n}",
                }
            elif kind is ItemKind.RESOURCE:
                content = {"description": " ".join(rng.sample(WORDS, 12))}
            else:
                content = {
                    "fields": ["name", "email", "company"],
                    "required": ["name", "email"],
                    "consent_text": "I agree to be contacted about my request.",
                    "privacy_url": "https://nimbus.example/privacy",
                    "submit_label": "Send",
                    "thank_you": "Thank you!",
                }
            yield {
                "kind": kind,
                "title": title,
                "content": content,
                "asset_id": rng.choice(asset_ids)
                if kind is ItemKind.RESOURCE and asset_ids
                else None,
                "active": rng.random() < 0.95,
                "created_by_id": admin_id,
                "created_at": now,
                "updated_at": now,
                **_audience(rng, tier_ids),
            }

    first_item = session.scalar(select(SyndicatedItem.id).order_by(SyndicatedItem.id.desc()))
    counts["items"] = _insert(session, SyndicatedItem, item_rows())
    item_ids = _ids(session, SyndicatedItem.id, SyndicatedItem.id > (first_item or 0))

    def embed_rows() -> Iterator[dict[str, Any]]:
        for n in range(1, size.embeds + 1):
            pid = partner_ids[(n - 1) % len(partner_ids)]
            kind = list(EmbedKind)[n % len(EmbedKind)]
            yield {
                "partner_id": pid,
                # Deterministic keys, so a benchmark can name them; still 22 URL-safe chars.
                "key": hashlib.sha256(f"scale-embed-{n}".encode()).hexdigest()[:22],
                "name": f"Website embed {n}",
                "kind": kind,
                "item_ids": sorted(rng.sample(item_ids, 6)) if rng.random() < 0.3 else None,
                "allowed_domains": [f"scale{partner_ids.index(pid) + 1:04d}.example"],
                "theme": {},
                "enabled": True,
                "created_at": now,
                "updated_at": now,
            }

    counts["embeds"] = _insert(session, Embed, embed_rows())
    embeds = list(
        session.execute(
            select(Embed.id, Embed.partner_id).where(Embed.name.like("Website embed %"))
        )
    )

    def lead_rows() -> Iterator[dict[str, Any]]:
        for n in range(1, size.leads + 1):
            embed_id, pid = embeds[rng.randrange(len(embeds))]
            at = now - dt.timedelta(minutes=rng.randrange(size.days * 24 * 60))
            email = f"buyer{n}@customer{n % 9973}.example"
            yield {
                "partner_id": pid,
                "embed_id": embed_id,
                "source": "embed",
                "name": f"Buyer {n}",
                "email": email,
                "company": f"Customer {n % 9973}",
                "country": rng.choice(["US", "DE", "FR", "GB", "BR", "JP"]),
                "message": "",
                "page_url": f"https://scale{pid}.example/contact",
                "utm": {},
                "consent_text": "I agree to be contacted about my request.",
                "consent_given_at": at,
                "fingerprint": hashlib.sha256(email.encode()).hexdigest(),
                "created_at": at,
            }

    counts["leads"] = _insert(session, Lead, lead_rows())

    today = now.date()

    def stat_rows() -> Iterator[dict[str, Any]]:
        for embed_id, _ in embeds:
            for back in range(size.days):
                impressions = rng.randint(0, 120)
                yield {
                    "embed_id": embed_id,
                    "item_id": 0,
                    "day": today - dt.timedelta(days=back),
                    "impressions": impressions,
                    "clicks": rng.randint(0, impressions // 10 + 1),
                    "leads": rng.randint(0, 1),
                }

    counts["embed_daily_stats"] = _insert(session, EmbedDailyStat, stat_rows())
    if asset_ids:
        versions = dict(
            session.execute(
                select(AssetVersion.asset_id, AssetVersion.id).where(
                    AssetVersion.asset_id.in_(asset_ids[:500])
                )
            ).all()
        )
        popular = list(versions)
        counts["downloads"] = _insert(
            session,
            AssetDownload,
            (
                {
                    "asset_id": (aid := rng.choice(popular)),
                    "version_id": versions[aid],
                    "partner_id": rng.choice(partner_ids),
                    "format": "pdf",
                    "at": now - dt.timedelta(minutes=rng.randrange(size.days * 24 * 60)),
                }
                for _ in range(size.downloads)
            ),
        )
    # Rows written past the ORM: mirror their audiences for SQL matching.
    audience.rebuild_entries(session)
    return ScaleReport(created=True, counts=counts)
