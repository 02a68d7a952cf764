"""The SQL form of the content rule (access.assets_visible_where / items_visible_where, through
the audience mirror) must pick exactly what the Python rule picks, for every partner and
every piece of content, and follow every change of an audience."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from prm_domain import access, assets, audience
from prm_domain.base import utcnow
from prm_domain.enums import (
    AssetKind,
    AssetStatus,
    ItemKind,
    PartnerStatus,
    PartnerType,
    Region,
    Role,
)
from prm_domain.models import Asset, AssetVersion, Partner, SyndicatedItem, Tier, User
from prm_domain.syndication import embeds, items, public

VERTICALS = ["finance", "retail", "health"]


def _random_audience(rng: random.Random, tiers: list[Tier]) -> dict[str, list[object]]:
    def some(values: list[object]) -> list[object]:
        return sorted(rng.sample(values, rng.randint(1, 2)), key=str) if rng.random() < 0.4 else []

    return {
        "audience_tier_ids": some([t.id for t in tiers]),
        "audience_regions": some([r.value for r in Region]),
        "audience_partner_types": some([t.value for t in list(PartnerType)[:3]]),
        "audience_verticals": some(list(VERTICALS)),
    }


def _visible_sql(session: Session, partner: Partner) -> tuple[set[int], set[int]]:
    """Both SQL forms (a probe of one grouped subquery, and row by row) pick the same."""
    answers = []
    for per_row in (False, True):
        assets = set(
            session.scalars(
                select(Asset.id).where(access.assets_visible_where(partner, per_row=per_row))
            )
        )
        items = set(
            session.scalars(
                select(SyndicatedItem.id).where(
                    access.items_visible_where(partner, per_row=per_row)
                )
            )
        )
        answers.append((assets, items))
    assert answers[0] == answers[1], partner
    return answers[0]


def _visible_python(session: Session, partner: Partner) -> tuple[set[int], set[int]]:
    assets = {
        a.id for a in session.scalars(select(Asset)) if access.asset_visible_to_partner(partner, a)
    }
    items = {
        i.id
        for i in session.scalars(select(SyndicatedItem))
        if access.item_visible_to_partner(
            partner, i, session.get(Asset, i.asset_id) if i.asset_id else None
        )
    }
    return assets, items


def test_sql_rule_equals_python_rule(
    session: Session,
    make_tier: Callable[..., Tier],
    make_partner: Callable[..., Partner],
    make_user: Callable[..., User],
) -> None:
    rng = random.Random(7)  # noqa: S311 - a reproducible sample, not a secret
    tiers = [make_tier() for _ in range(3)]
    now = utcnow()
    made: list[Asset] = []
    for n in range(60):
        asset = Asset(
            kind=AssetKind.PDF,
            name=f"Asset {n}",
            status=rng.choice(list(AssetStatus)),
            **_random_audience(rng, tiers),
        )
        session.add(asset)
        session.flush()
        if asset.status is AssetStatus.PUBLISHED or rng.random() < 0.5:
            version = AssetVersion(
                asset_id=asset.id, number=1, template_key="k", filename="a.pdf", size=1
            )
            session.add(version)
            session.flush()
            asset.published_version_id = version.id if rng.random() < 0.9 else None
        made.append(asset)
    for n in range(60):
        window = rng.choice(
            [
                (None, None),
                (now - dt.timedelta(days=1), None),
                (now + dt.timedelta(days=1), None),
                (None, now - dt.timedelta(hours=1)),
            ]
        )
        session.add(
            SyndicatedItem(
                kind=ItemKind.BANNER,
                title=f"Item {n}",
                active=rng.random() < 0.85,
                starts_at=window[0],
                ends_at=window[1],
                asset_id=rng.choice(made).id if rng.random() < 0.4 else None,
                **_random_audience(rng, tiers),
            )
        )
    partners = [
        make_partner(
            tier=rng.choice(tiers),
            region=rng.choice(list(Region)),
            type=rng.choice(list(PartnerType)[:3]),
            verticals=rng.sample(VERTICALS, rng.randint(0, 2)),
            status=rng.choice([PartnerStatus.ACTIVE] * 3 + [PartnerStatus.SUSPENDED]),
        )
        for _ in range(25)
    ]
    session.flush()
    seen = 0
    for partner in partners:
        sql, python = _visible_sql(session, partner), _visible_python(session, partner)
        assert sql == python, partner
        seen += len(python[0]) + len(python[1])
    assert seen > 50  # the sample is not trivially empty

    # The library's pages (read row by row in the index's order) and their total (counted
    # through the grouped subquery) are the Python rule's, newest first.
    for partner in partners[:6]:
        if partner.status is not PartnerStatus.ACTIVE:
            continue
        user = make_user(Role.PARTNER_ADMIN, partner=partner)
        expected = sorted(
            (a for a in made if access.asset_visible_to_partner(partner, a)),
            key=lambda a: (a.updated_at, a.id),
            reverse=True,
        )
        pages = [assets.list_assets(session, user, page=n, per_page=7) for n in (1, 2, 3)]
        assert {p.total for p in pages} == {len(expected)}
        assert [a.id for p in pages for a in p.items] == [a.id for a in expected[:21]]

    # The mirror follows edits (new lists assigned), narrowing and widening, and deletes.
    partner = next(p for p in partners if p.status is PartnerStatus.ACTIVE)
    target = next(a for a in made if access.asset_visible_to_partner(partner, a))
    other_region = next(r.value for r in Region if r is not partner.region)
    target.audience_regions = [other_region]
    session.flush()
    assert target.id not in _visible_sql(session, partner)[0]
    target.audience_regions = [partner.region.value, other_region]
    target.audience_verticals = []
    session.flush()
    assert _visible_sql(session, partner) == _visible_python(session, partner)
    session.delete(target)
    session.flush()
    assert _visible_sql(session, partner) == _visible_python(session, partner)

    # A bulk rewrite of the mirror (the size-up data set's path) gives the same answers.
    audience.rebuild_entries(session)
    for partner in partners[:8]:
        assert _visible_sql(session, partner) == _visible_python(session, partner)


def test_an_embed_shows_the_newest_items_of_each_kind_up_to_the_cap(
    session: Session, make_user: Callable[..., User], make_partner: Callable[..., Partner]
) -> None:
    vendor = make_user(Role.VENDOR_ADMIN)
    partner = make_partner()
    admin = make_user(Role.PARTNER_ADMIN, partner=partner)
    cap = public.MAX_ITEMS_PER_KIND
    banners = [
        items.create_item(
            session, vendor, {"kind": "banner", "title": f"B{n}", "content": {"headline": "x"}}
        )
        for n in range(cap + 3)
    ]
    product = items.create_item(
        session, vendor, {"kind": "product", "title": "P", "content": {"name": "P"}}
    )
    block = embeds.create_embed(
        session, admin, partner.id, {"kind": "block", "allowed_domains": ["shop.example.com"]}
    )
    shown = public.live_items(session, block)
    assert [i.id for i in shown] == sorted([b.id for b in banners[-cap:]] + [product.id])
    # Of the items an embed chose, too: the newest of them.
    chosen = embeds.create_embed(
        session,
        admin,
        partner.id,
        {
            "kind": "banner",
            "allowed_domains": ["shop.example.com"],
            "items": [b.id for b in banners[: cap + 1]],
        },
    )
    assert [i.id for i in public.live_items(session, chosen)] == [
        b.id for b in banners[1 : cap + 1]
    ]
