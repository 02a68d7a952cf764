"""Tier rules: promotion at once, demotion after a grace with notice, a grace cancelled by
qualifying again, the history, the events that evaluate (a deal won, a certification), the
nightly run's idempotence, and benefits that follow the tier (content audience, MDF)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from prm_domain import access, deals, partners, tier_rules, training
from prm_domain.base import utcnow
from prm_domain.enums import AssetKind, AssetStatus, DealStatus, MdfAllocationRule, Role
from prm_domain.errors import NotFound, PermissionDenied, ValidationError
from prm_domain.models import (
    Asset,
    AssetVersion,
    Campaign,
    DealRegistration,
    Notification,
    Partner,
    Tier,
    TierChange,
    TierGrace,
    User,
)

NOW = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)


@dataclass
class World:
    registered: Tier
    silver: Tier
    gold: Tier
    vendor: User
    partner: Partner
    admin: User


@pytest.fixture
def world(
    session: Session,
    make_tier: Callable[..., Tier],
    make_partner: Callable[..., Partner],
    make_user: Callable[..., User],
) -> World:
    registered = make_tier(name="Registered", rank=1)
    silver = make_tier(name="Silver", rank=2)
    gold = make_tier(name="Gold", rank=3)
    vendor = make_user(Role.VENDOR_ADMIN)
    tier_rules.set_requirements(session, vendor, silver.id, {"min_revenue": "40000.00"})
    tier_rules.set_requirements(
        session,
        vendor,
        gold.id,
        {
            "min_revenue": "500000.00",
            "min_deals_won": 2,
            "min_certified": {"sales": 1},
            "grace_days": 30,
        },
    )
    partner = make_partner(name="Tiered Partner GmbH", tier=registered)
    return World(registered, silver, gold, vendor, partner, make_user(Role.PARTNER_ADMIN, partner))


FORM = {
    "contact_name": "Ada Berg",
    "contact_email": "ada@customer.example",
    "country": "DE",
    "expected_close": "2027-03-31",
}


def won_deal(
    session: Session, partner: Partner, value: str, at: dt.datetime, company: str = ""
) -> DealRegistration:
    """A deal won at ``at`` (a row, as the CRM's history would hold it)."""
    deal = DealRegistration(
        partner_id=partner.id,
        company=company or f"Customer {value} {at:%Y%m%d%H%M%S%f}",
        contact_name="Ada",
        contact_email="ada@customer.example",
        country="DE",
        estimated_value=Decimal(value),
        expected_close=dt.date(2027, 1, 1),
        status=DealStatus.WON,
        decided_at=at,
    )
    session.add(deal)
    session.flush()
    return deal


def history(session: Session, partner: Partner) -> list[tuple[str, int | None, int | None]]:
    rows = session.scalars(
        select(TierChange).where(TierChange.partner_id == partner.id).order_by(TierChange.id)
    )
    return [(c.kind, c.from_tier_id, c.to_tier_id) for c in rows]


def notices(session: Session, partner: Partner) -> list[str]:
    return list(
        session.scalars(
            select(Notification.text)
            .where(Notification.partner_id == partner.id, Notification.kind == "tier")
            .order_by(Notification.id)
        )
    )


def test_metrics_are_exact_and_cover_twelve_months(session: Session, world: World) -> None:
    won_deal(session, world.partner, "0.10", NOW - dt.timedelta(days=10))
    won_deal(session, world.partner, "0.20", NOW - dt.timedelta(days=364))
    won_deal(session, world.partner, "999.00", NOW - dt.timedelta(days=366))  # too old
    won_deal(session, world.partner, "5.00", NOW + dt.timedelta(days=1))  # not yet
    metrics = tier_rules.measure(session, [world.partner.id], NOW)[world.partner.id]
    assert metrics.revenue == Decimal("0.30") and metrics.deals_won == 2
    assert tier_rules.measure(session, None, NOW)[world.partner.id] == metrics


def test_promotion_at_once_and_history(session: Session, world: World) -> None:
    won_deal(session, world.partner, "45000.00", NOW - dt.timedelta(days=3))
    outcome = tier_rules.evaluate_partner(session, world.partner, NOW, reason="test")
    assert outcome.action == "promoted"
    session.refresh(world.partner)
    assert world.partner.tier_id == world.silver.id
    assert history(session, world.partner) == [("promoted", world.registered.id, world.silver.id)]
    assert "from Registered to Silver" in notices(session, world.partner)[0]
    # Gold needs revenue, two deals and a certified sales person: not yet.
    assert tier_rules.evaluate_partner(session, world.partner, NOW).action == "unchanged"


def test_demotion_after_grace_with_notice(session: Session, world: World) -> None:
    world.partner.tier_id = world.silver.id
    session.flush()
    won_deal(session, world.partner, "45000.00", NOW - dt.timedelta(days=300))
    assert tier_rules.evaluate_partner(session, world.partner, NOW).action == "unchanged"
    later = NOW + dt.timedelta(days=70)  # the deal left the last twelve months
    assert tier_rules.evaluate_partner(session, world.partner, later).action == "grace_started"
    grace = session.get(TierGrace, world.partner.id)
    assert grace is not None and grace.ends_at == later + dt.timedelta(days=30)
    assert grace.to_tier_id == world.registered.id
    [notice] = notices(session, world.partner)
    assert "no longer meets the Silver requirements" in notice and "until 2027-03-09" in notice
    # During the grace it keeps Silver, and is told once.
    mid = later + dt.timedelta(days=29)
    assert tier_rules.evaluate_partner(session, world.partner, mid).action == "grace_continues"
    session.refresh(world.partner)
    assert world.partner.tier_id == world.silver.id and len(notices(session, world.partner)) == 1
    end = later + dt.timedelta(days=30)
    assert tier_rules.evaluate_partner(session, world.partner, end).action == "demoted"
    session.refresh(world.partner)
    assert world.partner.tier_id == world.registered.id
    assert session.get(TierGrace, world.partner.id) is None
    assert history(session, world.partner) == [
        ("grace_started", world.silver.id, world.registered.id),
        ("demoted", world.silver.id, world.registered.id),
    ]
    assert "from Silver to Registered" in notices(session, world.partner)[-1]


def test_qualifying_again_cancels_the_grace(session: Session, world: World) -> None:
    world.partner.tier_id = world.silver.id
    session.flush()
    assert tier_rules.evaluate_partner(session, world.partner, NOW).action == "grace_started"
    won_deal(session, world.partner, "40000.00", NOW + dt.timedelta(days=5))
    later = NOW + dt.timedelta(days=6)
    assert tier_rules.evaluate_partner(session, world.partner, later).action == "grace_cancelled"
    assert session.get(TierGrace, world.partner.id) is None
    # Past the old grace's end: nothing happens, it qualifies.
    far = NOW + dt.timedelta(days=40)
    assert tier_rules.evaluate_partner(session, world.partner, far).action == "unchanged"
    session.refresh(world.partner)
    assert world.partner.tier_id == world.silver.id
    kinds = [k for k, _, _ in history(session, world.partner)]
    assert kinds == ["grace_started", "grace_cancelled"]
    assert "meets the Silver requirements again" in notices(session, world.partner)[-1]


def test_zero_grace_demotes_at_once(session: Session, world: World) -> None:
    tier_rules.set_requirements(
        session, world.vendor, world.silver.id, {"min_revenue": "40000.00", "grace_days": 0}
    )
    world.partner.tier_id = world.silver.id
    session.flush()
    assert tier_rules.evaluate_partner(session, world.partner, NOW).action == "demoted"


def test_tiers_without_rules_and_other_statuses_are_left_alone(
    session: Session, world: World, make_tier: Callable[..., Tier], make_partner: Any
) -> None:
    strategic = make_tier(name="Strategic", rank=9)  # no requirements: set by hand
    by_hand = make_partner(tier=strategic)
    assert tier_rules.evaluate_partner(session, by_hand, NOW).action == "skipped"
    prospect = make_partner(tier=world.registered, status="prospect")
    won_deal(session, prospect, "90000.00", NOW - dt.timedelta(days=1))
    assert tier_rules.evaluate_partner(session, prospect, NOW).action == "skipped"
    session.refresh(prospect)
    assert prospect.tier_id == world.registered.id


def test_deal_won_promotes_through_the_deal_service(session: Session, world: World) -> None:
    deal = deals.register_deal(
        session,
        world.admin,
        FORM | {"company": "Nordwind Logistik GmbH", "estimated_value": "42000.00"},
    )
    deals.update_deal(session, world.vendor, deal.id, {"status": "approved"})
    session.refresh(world.partner)
    assert world.partner.tier_id == world.registered.id
    deals.update_deal(session, world.vendor, deal.id, {"status": "won"})
    session.refresh(world.partner)
    assert world.partner.tier_id == world.silver.id
    [change] = session.scalars(select(TierChange).where(TierChange.partner_id == world.partner.id))
    assert change.kind == "promoted" and "deal Nordwind Logistik GmbH won" in change.reason
    assert change.actor_id is None and change.actor_email == "system"


def test_certification_granted_promotes(
    session: Session, world: World, make_user: Callable[..., User]
) -> None:
    for days in (1, 2):
        won_deal(session, world.partner, "250000.00", NOW - dt.timedelta(days=days))
    tier_rules.evaluate_partner(session, world.partner, utcnow())
    session.refresh(world.partner)
    assert world.partner.tier_id == world.silver.id  # Gold wants a certified sales person
    course = training.create_course(
        session,
        world.vendor,
        {"title": "Selling", "questions": [{"text": "?", "choices": ["a", "b"], "answer": 1}]},
    )
    path = training.create_path(
        session,
        world.vendor,
        {"name": "Sales", "role": "sales", "course_ids": [course.id], "code": "SALES-T"},
    )
    learner = make_user(Role.PARTNER_USER, world.partner)
    training.enrol(session, learner, path.id)
    training.submit_attempt(session, learner, course.id, [1])
    session.refresh(world.partner)
    assert world.partner.tier_id == world.gold.id
    assert history(session, world.partner)[-1] == ("promoted", world.silver.id, world.gold.id)


def test_nightly_run_is_idempotent(
    session: Session, world: World, make_partner: Callable[..., Partner]
) -> None:
    climber = world.partner
    won_deal(session, climber, "41000.00", NOW - dt.timedelta(days=1))
    faller = make_partner(tier=world.silver)
    first = tier_rules.evaluate_all(session, NOW, reason="nightly")
    assert (first.promoted, first.grace_started) == (1, 1)
    rows = session.scalar(select(func.count()).select_from(TierChange))
    told = session.scalar(select(func.count()).select_from(Notification))
    second = tier_rules.evaluate_all(session, NOW, reason="nightly")
    assert (second.promoted, second.demoted, second.grace_started) == (0, 0, 0)
    assert session.scalar(select(func.count()).select_from(TierChange)) == rows
    assert session.scalar(select(func.count()).select_from(Notification)) == told
    session.refresh(faller)
    assert faller.tier_id == world.silver.id


def test_audience_follows_the_tier_at_once(session: Session, world: World) -> None:
    asset = Asset(
        kind=AssetKind.PDF,
        name="Silver playbook",
        status=AssetStatus.PUBLISHED,
        audience_tier_ids=[world.silver.id],
    )
    session.add(asset)
    session.flush()
    version = AssetVersion(asset_id=asset.id, number=1, template_key="k", filename="a.pdf", size=1)
    session.add(version)
    session.flush()
    asset.published_version_id = version.id
    session.flush()

    def visible() -> bool:
        session.refresh(world.partner)
        sql = session.scalar(
            select(Asset.id).where(Asset.id == asset.id, access.assets_visible_where(world.partner))
        )
        python = access.asset_visible_to_partner(world.partner, asset)
        assert (sql is not None) == python
        return python

    assert not visible()
    won_deal(session, world.partner, "40000.00", NOW - dt.timedelta(days=1))
    tier_rules.evaluate_partner(session, world.partner, NOW)
    assert visible()
    tier_rules.evaluate_partner(session, world.partner, NOW + dt.timedelta(days=400))
    assert visible()  # in grace: keeps the tier and its content
    tier_rules.evaluate_partner(session, world.partner, NOW + dt.timedelta(days=431))
    assert not visible()


def test_a_promotion_invites_to_launched_campaigns_of_the_new_tier(
    session: Session, world: World
) -> None:
    from prm_domain.campaigns import campaigns
    from prm_domain.models import Enrolment

    for_silver = campaigns.create_campaign(
        session, world.vendor, {"name": "Silver push", "audience_tier_ids": [world.silver.id]}
    )
    for_gold = campaigns.create_campaign(
        session, world.vendor, {"name": "Gold push", "audience_tier_ids": [world.gold.id]}
    )
    for campaign in (for_silver, for_gold):
        campaigns.add_item(session, world.vendor, campaign.id, {"kind": "social", "text": "Hi"})
        campaigns.launch_campaign(session, world.vendor, campaign.id)

    def invited() -> set[str]:
        return set(
            session.scalars(
                select(Campaign.name)
                .join(Enrolment, Enrolment.campaign_id == Campaign.id)
                .where(Enrolment.partner_id == world.partner.id)
            )
        )

    assert invited() == set()
    won_deal(session, world.partner, "40000.00", NOW - dt.timedelta(days=1))
    tier_rules.evaluate_partner(session, world.partner, NOW)
    assert world.partner.tier_id == world.silver.id
    assert invited() == {"Silver push"}
    tier_rules.evaluate_partner(session, world.partner, NOW)  # nothing new: no second invitation
    assert (
        session.scalar(
            select(func.count())
            .select_from(Enrolment)
            .where(Enrolment.partner_id == world.partner.id)
        )
        == 1
    )


def test_mdf_tier_allocation_follows_the_tier(session: Session, world: World) -> None:
    from prm_domain.mdf import funds

    today = utcnow().date()
    fund = funds.create_fund(
        session,
        world.vendor,
        {
            "name": "Tier fund",
            "currency": "EUR",
            "budget": Decimal("100000.00"),
            "starts_on": today - dt.timedelta(days=10),
            "ends_on": today + dt.timedelta(days=100),
            "tier_amounts": {"Registered": Decimal("1000.00"), "Silver": Decimal("5000.00")},
        },
    )
    allocation = funds.allocate(
        session, world.vendor, fund.id, {"partner_id": world.partner.id, "rule": "tier"}
    )
    assert allocation.rule is MdfAllocationRule.TIER
    now = utcnow()
    won_deal(session, world.partner, "40000.00", now - dt.timedelta(days=1))
    tier_rules.evaluate_partner(session, world.partner, now)
    session.refresh(allocation)
    assert allocation.balance("allocated") == Decimal("5000.00")
    assert tier_rules.evaluate_all(session, now).promoted == 0  # credited once
    session.refresh(allocation)
    assert allocation.balance("available") == Decimal("5000.00")
    # The vendor sets it back by hand: the difference returns to the fund.
    partners.update_partner(
        session, world.vendor, world.partner.id, {"tier_id": world.registered.id}
    )
    session.refresh(allocation)
    session.refresh(fund)
    assert allocation.balance("allocated") == Decimal("1000.00")
    assert fund.unallocated_minor == 9_900_000
    assert history(session, world.partner)[-1] == ("set", world.silver.id, world.registered.id)


def test_requirements_are_checked_field_by_field(session: Session, world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        tier_rules.set_requirements(
            session,
            world.vendor,
            world.gold.id,
            {
                "min_revenue": 5,
                "min_deals_won": -1,
                "min_certified": {"marketing": 1, "sales": "2"},
                "grace_days": 400,
                "colour": "gold",
            },
        )
    assert set(exc.value.fields) == {
        "min_revenue",
        "min_deals_won",
        "min_certified.marketing",
        "min_certified.sales",
        "grace_days",
        "colour",
    }
    req = tier_rules.get_requirements(session, world.admin, world.gold.id)
    assert req.min_revenue == Decimal("500000.00") and req.min_certified == {"sales": 1}
    with pytest.raises(PermissionDenied):
        tier_rules.set_requirements(session, world.admin, world.gold.id, {"min_revenue": "1"})
    with pytest.raises(NotFound):
        tier_rules.get_requirements(session, world.admin, 2_000_000_000)


def test_progress_and_overview(
    session: Session, world: World, make_partner: Callable[..., Partner]
) -> None:
    world.partner.tier_id = world.silver.id
    session.flush()
    won_deal(session, world.partner, "400000.00", NOW - dt.timedelta(days=1))
    won_deal(session, world.partner, "10.00", NOW - dt.timedelta(days=2))
    progress = tier_rules.tier_progress(session, world.admin, world.partner.id, NOW)
    assert progress.next_tier is not None and progress.next_tier.id == world.gold.id
    by_key = {line.key: line for line in progress.toward_next}
    assert by_key["revenue"].percent == 80 and not by_key["revenue"].met
    assert by_key["deals_won"].met and by_key["certified.sales"].percent == 0
    other = make_partner(tier=world.registered)
    stranger = make_partner()
    with pytest.raises(NotFound):
        tier_rules.tier_progress(session, world.admin, other.id, NOW)
    overview = tier_rules.programme_overview(session, world.vendor, NOW)
    assert world.partner.id not in [p.partner.id for p in overview.close]  # 60% on average
    with pytest.raises(PermissionDenied):
        tier_rules.programme_overview(session, world.admin, NOW)
    assert stranger.id not in [p.partner.id for p in overview.in_grace]


def test_demo_programme_is_steady_and_loads_once(
    session: Session, password_hash: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prm_domain import demo

    monkeypatch.setattr("prm_domain.users.hash_password", lambda _plain: password_hash)
    demo.load(session)
    demo.load(session)
    by_name = {p.name: p for p in session.scalars(select(Partner))}
    vendor = session.scalars(select(User).where(User.role == Role.VENDOR_ADMIN)).first()
    assert vendor is not None
    overview = tier_rules.programme_overview(session, vendor)
    [close] = overview.close
    assert close.partner.name == "Bluewave MSP" and close.next_tier is not None
    revenue = next(line for line in close.toward_next if line.key == "revenue")
    assert revenue.percent == 80
    assert [r.partner.name for r in overview.in_grace] == ["Delta Distribution"]
    tiers = {p: by_name[p].tier.name for p in by_name}
    # The nightly run finds every demo partner where the demo put it.
    run = tier_rules.evaluate_all(session, reason="nightly")
    assert (run.promoted, run.demoted, run.grace_started, run.grace_cancelled) == (0, 0, 0, 0)
    session.expire_all()
    assert {p.name: p.tier.name for p in session.scalars(select(Partner))} == tiers
    assert tiers["Alpine IT Solutions"] == "Gold" and tiers["Coral Integrators"] == "Registered"
    history = tier_rules.tier_history(session, vendor, by_name["Delta Distribution"].id)
    assert [c.kind for c in history.items] == ["grace_started", "promoted"]
