"""Scorecards on constructed data: exact figures, month buckets, the ranking, who sees what."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from prm_domain import auth, scorecards
from prm_domain.enums import (
    AssetKind,
    DealStatus,
    EnrolmentStatus,
    LeadState,
    MdfActivity,
    MdfAllocationRule,
    MdfClaimStatus,
    MdfRequestStatus,
    OfferOutcome,
    PartnerStatus,
    Role,
)
from prm_domain.errors import NotFound, PermissionDenied, ValidationError
from prm_domain.models import (
    Asset,
    AssetDownload,
    AssetVersion,
    Campaign,
    Certification,
    DealRegistration,
    Enrolment,
    Lead,
    LeadOffer,
    LearningPath,
    MdfAllocation,
    MdfClaim,
    MdfFund,
    MdfRequest,
    Partner,
    SignIn,
    User,
)
from tests.conftest import PASSWORD

TODAY = dt.date(2026, 11, 15)


def at(year: int, month: int, day: int = 10) -> dt.datetime:
    return dt.datetime(year, month, day, 12, tzinfo=dt.UTC)


@pytest.fixture
def add_deal(session: Session) -> Callable[..., DealRegistration]:
    def add(partner: Partner, value: str, status: DealStatus, **kw: Any) -> DealRegistration:
        values: dict[str, Any] = {
            "partner_id": partner.id,
            "company": "Acme",
            "contact_name": "Ann",
            "contact_email": "ann@acme.example",
            "country": "DE",
            "estimated_value": Decimal(value),
            "expected_close": TODAY,
            "status": status,
            "created_at": at(2026, 3),
        }
        deal = DealRegistration(**(values | kw))
        session.add(deal)
        session.flush()
        return deal

    return add


@pytest.fixture
def add_lead(session: Session) -> Callable[..., Lead]:
    def add(partner: Partner | None, state: LeadState, **kw: Any) -> Lead:
        values: dict[str, Any] = {
            "partner_id": partner.id if partner else None,
            "email": "lead@example.com",
            "fingerprint": uuid.uuid4().hex,
            "state": state,
            "created_at": at(2026, 5),
        }
        lead = Lead(**(values | kw))
        session.add(lead)
        session.flush()
        return lead

    return add


def test_figures_are_exact_and_count_only_the_period(
    session: Session,
    make_partner: Callable[..., Partner],
    make_user: Callable[..., User],
    add_deal: Callable[..., DealRegistration],
    add_lead: Callable[..., Lead],
) -> None:
    partner = make_partner()
    other = make_partner()
    admin = make_user(Role.PARTNER_ADMIN, partner)
    vendor = make_user(Role.CHANNEL_MANAGER)
    # Won in the period: 0.10 + 0.20 must be exactly 0.30, and 1,234,567.89 adds exactly.
    add_deal(partner, "0.10", DealStatus.WON, decided_at=at(2026, 2))
    add_deal(partner, "0.20", DealStatus.WON, decided_at=at(2026, 10))
    add_deal(partner, "1234567.89", DealStatus.WON, decided_at=at(2026, 11, 1))
    add_deal(partner, "500.00", DealStatus.LOST, decided_at=at(2026, 4))
    add_deal(partner, "999.00", DealStatus.PENDING)
    # Before the period (Dec 2025 starts it): not counted, not even as registered.
    add_deal(partner, "7.00", DealStatus.WON, decided_at=at(2025, 11), created_at=at(2025, 10))
    add_deal(other, "50.00", DealStatus.WON, decided_at=at(2026, 2))
    # Leads: 3 offers answered (2 accepted), a pending one and a claim do not count.
    lead = add_lead(None, LeadState.POOL)
    for outcome in (
        OfferOutcome.ACCEPTED,
        OfferOutcome.ACCEPTED,
        OfferOutcome.DECLINED,
        OfferOutcome.PENDING,
        OfferOutcome.CLAIMED,
    ):
        session.add(
            LeadOffer(
                lead_id=lead.id, partner_id=partner.id, outcome=outcome, offered_at=at(2026, 6)
            )
        )
    session.add(
        LeadOffer(
            lead_id=lead.id,
            partner_id=partner.id,
            outcome=OfferOutcome.EXPIRED,
            offered_at=at(2025, 6),
        )
    )
    for state in (LeadState.ACCEPTED, LeadState.WORKING, LeadState.CONVERTED, LeadState.LOST):
        add_lead(partner, state)
    add_lead(partner, LeadState.ASSIGNED)  # offered, not taken
    # Certified people: two valid (one with two certifications), one expired.
    paths = [
        LearningPath(name=f"Path {i}", role="sales", code=f"P{i}-{uuid.uuid4().hex[:6]}")
        for i in range(2)
    ]
    session.add_all(paths)
    session.flush()
    people = [make_user(Role.PARTNER_USER, partner) for _ in range(3)]
    for user, path, expires in (
        (people[0], paths[0], at(2027, 6)),
        (people[0], paths[1], at(2027, 6)),
        (people[1], paths[0], at(2027, 1)),
        (people[2], paths[0], at(2025, 1)),
    ):
        session.add(
            Certification(
                user_id=user.id,
                partner_id=partner.id,
                path_id=path.id,
                code=path.code,
                role="sales",
                granted_at=at(2024, 1),
                expires_at=expires,
            )
        )
    # Engagement: sign-ins as kept (a real one in the last test).
    for when in (at(2026, 1), at(2026, 11)):
        session.add(SignIn(at=when, user_id=admin.id, partner_id=partner.id))
    asset = Asset(kind=AssetKind.PDF, name="Brochure")
    session.add(asset)
    session.flush()
    version = AssetVersion(asset_id=asset.id, number=1, template_key="k", filename="b.pdf", size=1)
    session.add(version)
    session.flush()
    for when in (at(2026, 7), at(2026, 7, 20), at(2024, 7)):
        session.add(
            AssetDownload(
                asset_id=asset.id,
                version_id=version.id,
                partner_id=partner.id,
                format="pdf",
                at=when,
            )
        )
    campaign = Campaign(name="Spring")
    session.add(campaign)
    session.flush()
    session.add(
        Enrolment(
            campaign_id=campaign.id,
            partner_id=partner.id,
            status=EnrolmentStatus.APPROVED,
            approved_at=at(2026, 8),
        )
    )
    session.flush()

    card = scorecards.get_scorecard(session, admin, partner.id, today=TODAY)
    m = card.metrics
    assert card.period.start == dt.datetime(2025, 12, 1, tzinfo=dt.UTC)
    assert card.period.end == dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    assert m.revenue == Decimal("1234568.19")
    assert (m.deals_registered, m.deals_won, m.deals_lost) == (5, 3, 1)
    assert m.win_rate == Decimal("0.7500")
    assert (m.leads_offered, m.leads_accepted) == (3, 2)
    assert m.lead_acceptance == Decimal("0.6667")
    assert (m.leads_taken, m.leads_converted) == (4, 1)
    assert m.lead_conversion == Decimal("0.2500")
    assert m.certified_people == 2
    assert (m.sign_ins, m.downloads, m.campaign_approvals) == (2, 2, 1)
    assert m.mdf_roi is None  # nothing paid
    # The twelve months before: the deal won in Nov 2025 and its registration.
    assert card.previous.revenue == Decimal("7.00")
    assert card.previous.win_rate == Decimal("1.0000")
    assert card.previous.deals_registered == 1
    # The vendor sees the same figures.
    assert scorecards.get_scorecard(session, vendor, partner.id, today=TODAY).metrics == m

    # Trends: twelve months Dec 2025 .. Nov 2026; each figure in its own month.
    months = [p.month for p in card.trends]
    assert months[0] == dt.date(2025, 12, 1) and months[-1] == dt.date(2026, 11, 1)
    assert len(months) == 12
    by_month = {p.month: p for p in card.trends}
    assert by_month[dt.date(2026, 2, 1)].revenue == Decimal("0.10")
    assert by_month[dt.date(2026, 10, 1)].revenue == Decimal("0.20")
    assert by_month[dt.date(2026, 11, 1)].revenue == Decimal("1234567.89")
    assert by_month[dt.date(2026, 11, 1)].deals_won == 1
    assert sum(p.revenue for p in card.trends) == m.revenue
    assert by_month[dt.date(2026, 3, 1)].deals_registered == 5
    assert by_month[dt.date(2026, 5, 1)].leads_converted == 1
    assert by_month[dt.date(2026, 7, 1)].downloads == 2
    assert by_month[dt.date(2026, 8, 1)].campaign_approvals == 1
    assert [p.sign_ins for p in card.trends] == [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]


def test_win_rate_without_closed_deals_is_none_not_zero(
    session: Session, make_partner: Callable[..., Partner], make_user: Callable[..., User]
) -> None:
    partner = make_partner()
    card = scorecards.get_scorecard(
        session, make_user(Role.PARTNER_ADMIN, partner), partner.id, today=TODAY
    )
    assert card.metrics.win_rate is None
    assert card.metrics.lead_acceptance is None
    assert card.metrics.lead_conversion is None
    assert card.metrics.revenue == Decimal("0.00")
    assert all(p.revenue == Decimal("0.00") for p in card.trends)
    # All lost: zero, which is a rate.
    m = scorecards.Metrics(deals_lost=2)
    assert m.win_rate == Decimal("0.0000")


def test_mdf_return_comes_from_the_roi_attribution(
    session: Session,
    make_partner: Callable[..., Partner],
    make_user: Callable[..., User],
    add_deal: Callable[..., DealRegistration],
    add_lead: Callable[..., Lead],
) -> None:
    partner = make_partner()
    admin = make_user(Role.PARTNER_ADMIN, partner)
    fund = MdfFund(
        name="FY26",
        currency="EUR",
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 12, 31),
        budget=Decimal("10000.00"),
    )
    session.add(fund)
    session.flush()
    allocation = MdfAllocation(fund_id=fund.id, partner_id=partner.id, rule=MdfAllocationRule.FIXED)
    session.add(allocation)
    session.flush()
    req = MdfRequest(
        fund_id=fund.id,
        partner_id=partner.id,
        allocation_id=allocation.id,
        activity_type=MdfActivity.WEBINAR,
        description="Webinar",
        starts_on=dt.date(2026, 4, 1),
        ends_on=dt.date(2026, 4, 2),
        claim_due_on=dt.date(2026, 6, 30),
        total_cost=Decimal("800.00"),
        requested_amount=Decimal("400.00"),
        status=MdfRequestStatus.CLAIMED,
        approved_amount=Decimal("400.00"),
    )
    session.add(req)
    session.flush()
    session.add(
        MdfClaim(
            request_id=req.id,
            fund_id=fund.id,
            partner_id=partner.id,
            amount=Decimal("400.00"),
            actual_cost=Decimal("800.00"),
            status=MdfClaimStatus.PAID,
            approved_amount=Decimal("400.00"),
        )
    )
    won = add_deal(partner, "1000.00", DealStatus.WON, decided_at=at(2026, 6))
    add_lead(
        partner,
        LeadState.CONVERTED,
        created_at=at(2026, 4, 5),
        utm={"utm_campaign": f"mdf-{req.id}"},
        converted_deal_id=won.id,
    )
    # Converted from an untagged lead: revenue, but not the activity's.
    other = add_deal(partner, "5000.00", DealStatus.WON, decided_at=at(2026, 6))
    add_lead(partner, LeadState.CONVERTED, created_at=at(2026, 4, 5), converted_deal_id=other.id)
    session.flush()
    m = scorecards.get_scorecard(session, admin, partner.id, today=TODAY).metrics
    assert (m.mdf_paid, m.mdf_closed_won) == (Decimal("400.00"), Decimal("1000.00"))
    assert m.mdf_roi == Decimal("2.50")
    assert m.revenue == Decimal("6000.00")


def test_ranking_sorts_filters_and_pages(
    session: Session,
    make_partner: Callable[..., Partner],
    make_tier: Callable[..., Any],
    make_user: Callable[..., User],
    add_deal: Callable[..., DealRegistration],
) -> None:
    vendor = make_user(Role.MARKETING_MANAGER)
    gold = make_tier(name=f"Gold {uuid.uuid4().hex[:4]}")
    tag = uuid.uuid4().hex[:6]
    a = make_partner(name=f"Alpha {tag}", tier=gold)
    b = make_partner(name=f"Bravo {tag}")
    c = make_partner(name=f"Charlie {tag}", tier=gold)
    add_deal(a, "100.00", DealStatus.WON, decided_at=at(2026, 9))
    add_deal(a, "1.00", DealStatus.LOST, decided_at=at(2026, 9))
    add_deal(b, "300.00", DealStatus.WON, decided_at=at(2026, 9))
    add_deal(c, "1.00", DealStatus.LOST, decided_at=at(2026, 9))

    def names(**kw: Any) -> list[str]:
        _, page = scorecards.rank_partners(session, vendor, q=tag, today=TODAY, **kw)
        return [r.partner_name.split()[0] for r in page.items]

    assert names() == ["Bravo", "Alpha", "Charlie"]
    assert names(order="asc") == ["Charlie", "Alpha", "Bravo"]
    # Win rates 1/2, 1/1, 0/1; a partner without closed deals would sort last.
    assert names(sort="win_rate") == ["Bravo", "Alpha", "Charlie"]
    assert names(sort="name", order="asc") == ["Alpha", "Bravo", "Charlie"]
    assert names(tier_id=gold.id) == ["Alpha", "Charlie"]
    _, page = scorecards.rank_partners(session, vendor, q=tag, per_page=2, page=2, today=TODAY)
    assert (page.total, [r.partner_name.split()[0] for r in page.items]) == (3, ["Charlie"])
    assert page.items[0].metrics.win_rate == Decimal("0.0000")
    _, page = scorecards.rank_partners(session, vendor, q=tag, today=TODAY)
    assert page.items[0].metrics.revenue == Decimal("300.00")
    # "%" and "_" are searched for, not wildcards.
    _, none = scorecards.rank_partners(session, vendor, q=f"{tag}%", today=TODAY)
    assert none.total == 0
    with pytest.raises(ValidationError) as err:
        scorecards.rank_partners(session, vendor, sort="password", order="up", months=0)
    assert set(err.value.fields) == {"sort", "order", "months"}


def test_each_page_is_the_whole_rankings_slice_for_every_sort(
    session: Session,
    make_partner: Callable[..., Partner],
    make_user: Callable[..., User],
    add_deal: Callable[..., DealRegistration],
    add_lead: Callable[..., Lead],
) -> None:
    # A page is found in two steps (its ids by the one table the sort key comes from, then
    # every figure for those ids); the export is one statement over all partners. Both must
    # give the same rows in the same order, ties (equal figures, no figures) by name then id.
    rng = random.Random(5)  # noqa: S311 - test data, no secret
    tag = uuid.uuid4().hex[:6]
    names = ["alpha", "Bravo", "charlie", "Delta", "echo", "Foxtrot", "golf"]
    partners = [make_partner(name=f"{n} {tag}") for n in names]
    vendor = make_user(Role.CHANNEL_MANAGER)
    asset = Asset(kind=AssetKind.PDF, name="Sheet")
    campaigns = [Campaign(name=f"C{i}") for i in range(2)]
    path = LearningPath(name="Path", role="sales", code=f"E-{tag}")
    session.add_all([asset, path, *campaigns])
    session.flush()
    version = AssetVersion(asset_id=asset.id, number=1, template_key="k", filename="b.pdf", size=1)
    session.add(version)
    session.flush()
    for partner in partners[:-1]:  # the last one has no figures at all
        for _ in range(rng.randint(0, 3)):
            status = rng.choice([DealStatus.WON, DealStatus.LOST, DealStatus.APPROVED])
            add_deal(partner, rng.choice(["10.00", "20.00"]), status, decided_at=at(2026, 6))
        lead = add_lead(partner, rng.choice([LeadState.CONVERTED, LeadState.WORKING]))
        for _ in range(rng.randint(0, 2)):
            outcome = rng.choice([OfferOutcome.ACCEPTED, OfferOutcome.DECLINED])
            session.add(
                LeadOffer(
                    lead_id=lead.id, partner_id=partner.id, outcome=outcome, offered_at=at(2026, 6)
                )
            )
        for _ in range(rng.randint(0, 2)):
            session.add(SignIn(at=at(2026, 7), partner_id=partner.id))
            session.add(
                AssetDownload(
                    asset_id=asset.id,
                    version_id=version.id,
                    partner_id=partner.id,
                    format="pdf",
                    at=at(2026, 8),
                )
            )
        for campaign in campaigns[: rng.randint(0, 2)]:
            session.add(
                Enrolment(
                    campaign_id=campaign.id,
                    partner_id=partner.id,
                    status=EnrolmentStatus.APPROVED,
                    approved_at=at(2026, 9),
                )
            )
        if rng.random() < 0.6:
            session.add(
                Certification(
                    user_id=make_user(Role.PARTNER_USER, partner).id,
                    partner_id=partner.id,
                    path_id=path.id,
                    code=path.code,
                    role="sales",
                    granted_at=at(2025, 1),
                    expires_at=at(2030, 1),
                )
            )
    session.flush()

    def ranking(**kw: Any) -> list[tuple[int, scorecards.Metrics]]:
        _, page = scorecards.rank_partners(session, vendor, q=tag, today=TODAY, **kw)
        return [(row.partner_id, row.metrics) for row in page.items]

    for sort in scorecards.SORTS:
        for order in ("asc", "desc"):
            whole = ranking(sort=sort, order=order, whole=True)
            assert len(whole) == len(partners)
            paged = [
                row
                for page in (1, 2, 3, 4)
                for row in ranking(sort=sort, order=order, page=page, per_page=2)
            ]
            assert paged == whole, (sort, order)
    # The whole ranking's order is the key's, ties by name (case folded) then id.
    rows = ranking(sort="sign_ins", order="desc", whole=True)
    name_of = {p.id: p.name.lower() for p in partners}
    assert rows == sorted(rows, key=lambda r: (-r[1].sign_ins, name_of[r[0]], r[0]))


def test_partner_sees_only_its_own(
    session: Session, make_partner: Callable[..., Partner], make_user: Callable[..., User]
) -> None:
    mine, theirs = make_partner(), make_partner()
    admin = make_user(Role.PARTNER_ADMIN, mine)
    with pytest.raises(NotFound):
        scorecards.get_scorecard(session, admin, theirs.id)
    _, page = scorecards.rank_partners(session, admin)
    assert [r.partner_id for r in page.items] == [mine.id]
    # A partner user has no scorecard right; a suspended partner's admin is told why.
    with pytest.raises(PermissionDenied):
        scorecards.get_scorecard(session, make_user(Role.PARTNER_USER, mine), mine.id)
    mine.status = PartnerStatus.SUSPENDED
    with pytest.raises(PermissionDenied, match="suspended"):
        scorecards.get_scorecard(session, admin, mine.id)
    with pytest.raises(NotFound):
        scorecards.get_scorecard(session, make_user(Role.VENDOR_ADMIN), 10**8)


def test_each_sign_in_is_recorded_for_the_partner(
    session: Session, make_user: Callable[..., User]
) -> None:
    user = make_user(Role.PARTNER_ADMIN)
    auth.authenticate(session, user.email, PASSWORD)
    auth.authenticate(session, user.email, PASSWORD)
    card = scorecards.get_scorecard(session, user, user.partner_id or 0)
    assert card.metrics.sign_ins == 2
    assert card.trends[-1].sign_ins == 2


def test_the_demos_history_is_all_in_the_past(
    session: Any, password_hash: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Loaded in the morning, today's demo leads and deals must not be dated this afternoon:
    a lead from the future is "new since your last visit" at every visit."""
    from sqlalchemy import func, select

    from prm_domain import demo
    from prm_domain.base import utcnow
    from prm_domain.models import DealRegistration, Lead

    monkeypatch.setattr("prm_domain.users.hash_password", lambda _plain: password_hash)
    demo.load(session)
    now = utcnow()
    newest_lead = session.scalar(select(func.max(Lead.created_at)))
    newest_deal = session.scalar(select(func.max(DealRegistration.created_at)))
    for newest in (newest_lead, newest_deal):
        assert newest is not None
        if newest.tzinfo is None:  # SQLite keeps naive UTC
            newest = newest.replace(tzinfo=now.tzinfo)
        assert newest <= now
