"""What is new for a person (issue 13): notifications of published assets (to the audience, once),
the visit that "new" is measured from, and the brand kit's one save. SQLite and Postgres."""

from __future__ import annotations

import datetime as dt
import os
import threading
import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from prm_domain import assets, brandkits, notifications, partners, visits
from prm_domain.base import utcnow
from prm_domain.database import upgrade
from prm_domain.enums import AssetStatus, PartnerStatus, Role
from prm_domain.errors import ValidationError
from prm_domain.models import Asset, BrandKit, Notification
from prm_domain.storage import LocalStorage
from tests.conftest import drop_postgres_schema, postgres_engine
from tests.library_fixtures import brochure, png
from tests.seed import add_partner, add_tier, add_user


@pytest.fixture
def world(session: Any, make_tier: Any, make_partner: Any, make_user: Any, tmp_path: Any) -> Any:
    gold, silver = make_tier(name="Gold"), make_tier(name="Silver")
    w: dict[str, Any] = {
        "gold": gold,
        "storage": LocalStorage(tmp_path),
        "vendor": make_user(Role.VENDOR_ADMIN),
        "in": make_partner(tier=gold),
        "out": make_partner(tier=silver),
        "exited": make_partner(tier=gold, status=PartnerStatus.EXITED),
        "suspended": make_partner(tier=gold, status=PartnerStatus.SUSPENDED),
        "prospect": make_partner(tier=gold, status=PartnerStatus.PROSPECT),
    }
    w["in_user"] = make_user(Role.PARTNER_ADMIN, w["in"])
    w["out_user"] = make_user(Role.PARTNER_ADMIN, w["out"])
    return w


def asset_notes(session: Any, partner_id: int) -> list[str]:
    stmt = select(Notification.text).where(
        Notification.partner_id == partner_id, Notification.kind == "asset"
    )
    return list(session.scalars(stmt.order_by(Notification.id)))


def gold_asset(session: Any, w: Any) -> Any:
    asset = assets.create_asset(
        session, w["vendor"], "pdf", {"name": "Price sheet", "audience_tier_ids": [w["gold"].id]}
    )
    assets.add_version(session, w["vendor"], w["storage"], asset.id, "a.pdf", brochure(1))
    return asset


def test_publishing_notifies_the_audience_once_per_version(session: Any, world: Any) -> None:
    w = world
    asset = gold_asset(session, w)
    assets.publish(session, w["vendor"], asset.id)
    assert asset_notes(session, w["in"].id) == ["New in the library: Price sheet"]
    assert asset_notes(session, w["out"].id) == []  # not in the audience
    assert asset_notes(session, w["exited"].id) == []  # no longer a partner
    # Not handed news their status does not open (access.asset_visible_to_partner).
    assert asset_notes(session, w["suspended"].id) == []
    assert asset_notes(session, w["prospect"].id) == []
    # Retried, re-published, or reported again by hand: nobody is told twice.
    assets.publish(session, w["vendor"], asset.id)
    assets.unpublish(session, w["vendor"], asset.id)
    assets.publish(session, w["vendor"], asset.id)
    assert notifications.notify_published(session, asset) == 0
    assert asset_notes(session, w["in"].id) == ["New in the library: Price sheet"]
    # A new version is news again.
    assets.add_version(session, w["vendor"], w["storage"], asset.id, "b.pdf", brochure(2))
    assets.publish(session, w["vendor"], asset.id)
    assert asset_notes(session, w["in"].id)[-1] == "Updated in the library: Price sheet"
    assert len(asset_notes(session, w["in"].id)) == 2
    stmt = select(Notification).where(Notification.partner_id == w["in"].id)
    note = session.scalars(stmt).first()
    assert note.link == f"/library/{asset.id}"


def test_an_asset_is_new_after_the_previous_visit_or_for_two_weeks(
    session: Any, world: Any
) -> None:
    w = world
    asset = gold_asset(session, w)
    assert not visits.is_new(asset, None)  # a draft is new to nobody
    assets.publish(session, w["vendor"], asset.id)
    published = asset.published_at
    assert published is not None and asset.status == AssetStatus.PUBLISHED
    assert visits.is_new(asset, None)
    assert visits.is_new(asset, published - dt.timedelta(minutes=1))
    assert not visits.is_new(asset, published + dt.timedelta(minutes=1))
    assert not visits.is_new(asset, None, now=published + visits.NEW_FOR + dt.timedelta(hours=1))

    changes = visits.changes_since(session, w["in_user"], published - dt.timedelta(minutes=1))
    assert [a.id for a in changes.new_assets] == [asset.id]
    assert visits.changes_since(session, w["out_user"], None).new_assets == []  # audience
    later = visits.changes_since(session, w["in_user"], published + dt.timedelta(minutes=1))
    assert not later.any


def test_a_vendor_is_not_told_about_their_own_publishes_and_partners(
    session: Any, world: Any, make_user: Any
) -> None:
    w = world
    me, colleague = w["vendor"], make_user(Role.VENDOR_ADMIN)
    before = utcnow()  # after the world's partners were made
    mine = gold_asset(session, w)
    assets.publish(session, me, mine.id)
    theirs = gold_asset(session, w)
    assets.publish(session, colleague, theirs.id)
    partners.create_partner(
        session,
        me,
        {
            "name": "Made By Me",
            "type": "reseller",
            "tier_id": w["gold"].id,
            "country": "DE",
            "region": "EMEA",
        },
    )
    news = visits.changes_since(session, me, before)
    assert [a.id for a in news.new_assets] == [theirs.id]
    assert news.new_partners == 0
    # The colleague learns of what the first vendor did, and not of their own publish.
    news = visits.changes_since(session, colleague, before)
    assert [a.id for a in news.new_assets] == [mine.id]
    assert news.new_partners == 1
    # A colleague re-publishing my asset later makes it news to me again.
    assets.add_version(session, me, w["storage"], mine.id, "b.pdf", brochure(2))
    assets.publish(session, colleague, mine.id)
    assert mine.id in [a.id for a in visits.changes_since(session, me, before).new_assets]
    # Partners get every published asset of their audience, whoever published it.
    assert {a.id for a in visits.changes_since(session, w["in_user"], before).new_assets} == {
        mine.id,
        theirs.id,
    }


def test_a_visit_is_recorded_at_most_every_few_minutes(session: Any, world: Any) -> None:
    user = world["in_user"]
    now = utcnow()
    assert visits.visit_due(user, now)
    assert visits.record_visit(session, user, now) is True
    assert user.last_seen_at == now
    soon = now + dt.timedelta(minutes=2)
    assert not visits.visit_due(user, soon)
    assert visits.record_visit(session, user, soon) is False and user.last_seen_at == now
    later = now + visits.VISIT_RESOLUTION + dt.timedelta(seconds=1)
    assert visits.record_visit(session, user, later) is True and user.last_seen_at == later


def test_brand_kit_one_save_is_all_or_nothing(session: Any, world: Any) -> None:
    w = world
    admin, partner_id = w["in_user"], w["in"].id
    with pytest.raises(ValidationError) as caught:
        brandkits.save_brand_kit(
            session,
            admin,
            w["storage"],
            partner_id,
            {"contact_name": "Berta", "primary_color": "#123456"},
            logos={"light": png(), "dark": b"not an image"},
        )
    assert set(caught.value.fields) == {"logo_dark"}
    kit = session.scalar(select(BrandKit).where(BrandKit.partner_id == partner_id))
    assert kit is None  # nothing stored: neither details nor the good logo
    kit = brandkits.save_brand_kit(
        session,
        admin,
        w["storage"],
        partner_id,
        {"contact_name": "Berta", "primary_color": "#123456"},
        logos={"light": png()},
    )
    assert kit.logo_key and kit.contact_name == "Berta" and kit.primary_color == "#123456"
    kit = brandkits.save_brand_kit(
        session, admin, w["storage"], partner_id, {"primary_color": "#123456"}, remove=["light"]
    )
    assert kit.logo_key is None


@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL")
def test_two_publishers_at_once_tell_each_partner_once(tmp_path: Any) -> None:
    """Real concurrent connections: both insert the same notifications; the unique key and
    ON CONFLICT DO NOTHING keep one, and neither transaction fails."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = postgres_engine(schema)
    try:
        upgrade(engine)
        factory = sessionmaker(engine, expire_on_commit=False)
        with factory() as s:
            tier = add_tier(
                s,
                "Gold",
                1,
                mdf_share_percent=Decimal("1"),
                discount_percent=Decimal("1"),
                content_access=[],
            )
            for n in range(5):
                add_partner(s, f"P{n}", tier.id)
            vendor = add_user(s, Role.VENDOR_ADMIN, "v@example.com", None, "x", display_name="V")
            asset = assets.create_asset(s, vendor, "pdf", {"name": "Sheet"})
            assets.add_version(s, vendor, LocalStorage(tmp_path), asset.id, "a.pdf", brochure(1))
            asset.published_version_id = asset.latest_version.id
            asset.status = AssetStatus.PUBLISHED
            s.commit()
            asset_id = asset.id

        barrier = threading.Barrier(2)
        added: list[int] = []
        failures: list[BaseException] = []

        def publish() -> None:
            try:
                with factory() as s:
                    found = s.get(Asset, asset_id)
                    s.scalar(select(Notification.id).limit(1))  # the transaction has begun
                    barrier.wait(timeout=10)
                    added.append(notifications.notify_published(s, found))
                    s.commit()
            except BaseException as exc:  # reported by the assertion below
                failures.append(exc)

        threads = [threading.Thread(target=publish) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert failures == []
        with factory() as s:
            count = s.scalar(select(func.count()).select_from(Notification))
        assert count == 5 and sorted(added) == [0, 5], (count, added)
    finally:
        engine.dispose()
        drop_postgres_schema(schema)


def test_the_dashboard_counts_every_new_asset_of_the_audience_and_names_the_newest(
    session: Any, world: Any
) -> None:
    """Counted and read in SQL by the library's rule: the audience's new assets all count, the
    five newest are named, and what is outside the audience is neither."""
    w = world
    before = utcnow() - dt.timedelta(minutes=1)
    made = []
    for n in range(7):
        asset = gold_asset(session, w)
        assets.publish(session, w["vendor"], asset.id)
        asset.published_at = before + dt.timedelta(seconds=10 + n)
        made.append(asset)
    silver_only = assets.create_asset(
        session, w["vendor"], "pdf", {"name": "Silver", "audience_tier_ids": [w["out"].tier_id]}
    )
    assets.add_version(session, w["vendor"], w["storage"], silver_only.id, "s.pdf", brochure(1))
    assets.publish(session, w["vendor"], silver_only.id)
    session.flush()
    news = visits.changes_since(session, w["in_user"], before)
    assert news.new_asset_count == 7 and news.any
    assert [a.id for a in news.new_assets] == [a.id for a in reversed(made)][
        : visits.SHOWN_NEW_ASSETS
    ]
    theirs = visits.changes_since(session, w["out_user"], before)
    assert theirs.new_asset_count == 1 and [a.id for a in theirs.new_assets] == [silver_only.id]
