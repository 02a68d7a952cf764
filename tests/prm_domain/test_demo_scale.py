"""The size-up data set (``cobrand demo --scale``): valid rows of every kind, spread over every
tier, region and type, audiences that narrow what a partner sees, and loading twice adds nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from prm_domain import access, assets, demo_scale
from prm_domain.enums import AssetKind, PartnerType, Region, Role
from prm_domain.models import (
    Asset,
    Embed,
    EmbedDailyStat,
    Lead,
    Partner,
    SyndicatedItem,
    Tier,
    User,
)
from prm_domain.storage import LocalStorage
from tests.library_fixtures import brochure

SIZE = demo_scale.ScaleSize(
    partners=24, assets=60, items=40, embeds=24, leads=300, days=7, downloads=50
)


def test_scale_data_set(
    session: Session,
    tmp_path: Path,
    make_tier: Callable[..., Tier],
    make_user: Callable[..., User],
    password_hash: str,
) -> None:
    for rank in (1, 2, 3):
        make_tier(rank=rank)
    vendor = make_user(Role.VENDOR_ADMIN)
    asset = assets.create_asset(session, vendor, AssetKind.PDF, {"name": "Template brochure"})
    version = assets.add_version(
        session, vendor, LocalStorage(tmp_path), asset.id, "b.pdf", brochure(1)
    )
    assets.publish(session, vendor, asset.id, version.id)

    report = demo_scale.add(session, SIZE, password_hash=password_hash)
    assert report.created
    assert report.counts["partners"] == 24 and report.counts["leads"] == 300
    assert report.counts["assets"] == 60 and report.counts["embed_daily_stats"] == 24 * 7

    scale = select(Partner).where(Partner.name.like("Scale Partner %"))
    partners = list(session.scalars(scale))
    assert {p.region for p in partners} == set(Region)
    assert {p.type for p in partners} == set(PartnerType)
    assert {p.tier_id for p in partners} == set(session.scalars(select(Tier.id)))

    def count(model: type) -> int:
        return session.scalar(select(func.count()).select_from(model)) or 0

    assert count(SyndicatedItem) == 40 and count(Embed) == 24 and count(Lead) == 300
    assert count(EmbedDailyStat) == 24 * 7

    # Audiences bite: a scale partner sees some of the library, not all of it, and exactly
    # what the one access rule allows.
    admin = session.scalar(
        select(User)
        .join(Partner, Partner.id == User.partner_id)
        .where(Partner.name == "Scale Partner 0003", User.role == Role.PARTNER_ADMIN)
    )
    assert admin is not None
    listed = assets.list_assets(session, admin, per_page=100).items
    published = list(session.scalars(select(Asset).where(Asset.published_version_id.is_not(None))))
    expected = [a for a in published if access.asset_visible_to(admin, a)]
    assert 0 < len(listed) == len(expected) < len(published)

    again = demo_scale.add(session, SIZE, password_hash=password_hash)
    assert not again.created and count(Lead) == 300
