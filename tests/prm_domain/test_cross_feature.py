"""Where the features meet: a lead converts by registering its deal, a deal closed won credits
co-op MDF, MDF ROI counts the deals its leads became, lead routing asks training for
certifications, and an email's footer carries each recipient's own unsubscribe link."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from prm_domain import deals, training
from prm_domain.enums import LeadState, MdfEntryKind, Role
from prm_domain.errors import Conflict
from prm_domain.leads import lifecycle, routing
from prm_domain.mdf import funds, requests, roi
from prm_domain.models import Certification, DealRegistration, Lead, MdfLedgerEntry, Partner, User
from prm_domain.publishing import OutgoingPost
from prm_domain.publishing.smtp import build_message
from tests.mdf_fixtures import fund_values, request_values

WITHIN = dt.timedelta(hours=48)
DEAL = {
    "company": "Harbour Logistics GmbH",
    "contact_name": "Ada Berg",
    "contact_email": "ada@harbour-logistics.example",
    "country": "DE",
    "products": ["Compute"],
    "estimated_value": "12000.00",
    "expected_close": "2027-03-31",
    "notes": "",
}


@pytest.fixture
def world(
    session: Session, make_partner: Callable[..., Partner], make_user: Callable[..., User]
) -> dict[str, Any]:
    vendor = make_user(Role.VENDOR_ADMIN)
    partner = make_partner()
    admin = make_user(Role.PARTNER_ADMIN, partner)
    routing.create_rule(session, vendor, {"name": "All EMEA", "regions": ["EMEA"]})
    return {"vendor": vendor, "partner": partner, "admin": admin}


def _accepted_lead(session: Session, w: dict[str, Any], **values: Any) -> Lead:
    body = {"email": "ada@harbour-logistics.example", "company": "Harbour Logistics GmbH"}
    lead = lifecycle.create_lead(
        session, w["vendor"], body | {"region": "EMEA"} | values, accept_within=WITHIN
    )
    assert lead.partner_id == w["partner"].id
    lifecycle.accept_lead(session, w["admin"], lead.id)
    return lead


def test_a_lead_converts_by_registering_its_deal(session: Session, world: dict[str, Any]) -> None:
    lead = _accepted_lead(session, world)
    prefill = deals.registrations.prefill_for_lead(session, world["admin"], lead.id)
    assert prefill["company"] == "Harbour Logistics GmbH"
    deal = deals.registrations.register_deal_from_lead(session, world["admin"], lead.id, DEAL)
    assert lead.state == LeadState.CONVERTED and lead.converted_deal_id == deal.id
    # Converting again is refused, and the second registration is not kept.
    before = session.scalar(select(func.count()).select_from(DealRegistration))
    with pytest.raises(Conflict), session.begin_nested():
        deals.registrations.register_deal_from_lead(session, world["admin"], lead.id, DEAL)
    assert session.scalar(select(func.count()).select_from(DealRegistration)) == before


def test_a_deal_won_credits_accruals_once_and_roi_counts_it(
    session: Session, world: dict[str, Any]
) -> None:
    vendor, partner, admin = world["vendor"], world["partner"], world["admin"]
    today = dt.date.today()
    period = {"starts_on": today - dt.timedelta(days=60), "ends_on": today + dt.timedelta(days=60)}
    co_op = funds.create_fund(session, vendor, fund_values(**period))
    funds.allocate(
        session,
        vendor,
        co_op.id,
        {"partner_id": partner.id, "rule": "accrual", "accrual_percent": Decimal("2.5")},
    )
    # An activity paid from another fund, whose leads carry its tag.
    fixed = funds.create_fund(session, vendor, fund_values(**period))
    funds.allocate(session, vendor, fixed.id, {"partner_id": partner.id, "amount": Decimal("5000")})
    activity = requests.submit_request(
        session,
        admin,
        request_values(
            fixed.id, starts_on=today - dt.timedelta(days=3), ends_on=today + dt.timedelta(days=3)
        ),
    )
    lead = _accepted_lead(session, world)
    # As a syndicated form records it from the campaign link the activity used.
    lead.utm = {"utm_campaign": f"mdf-{activity.id}"}
    deal = deals.registrations.register_deal_from_lead(session, admin, lead.id, DEAL)
    assert roi.deal_figures_for_request(session, activity) == roi.DealFigures(
        1, Decimal("12000.00"), Decimal("0")
    )
    if deal.status.value == "pending":
        deals.update_deal(session, vendor, deal.id, {"status": "approved"})
    deals.update_deal(session, vendor, deal.id, {"status": "won"})
    accrued = list(
        session.scalars(
            select(MdfLedgerEntry.amount).where(MdfLedgerEntry.kind == MdfEntryKind.ACCRUE)
        )
    )
    assert accrued == [Decimal("300.00")]  # 2.5 % of 12,000.00, rounded to the cent
    # The same deal is never credited twice.
    again = funds.credit_accruals_for_deal(
        session, partner.id, deal.estimated_value, f"deal-{deal.id}"
    )
    assert again == []
    assert roi.deal_figures_for_request(session, activity) == roi.DealFigures(
        1, Decimal("0"), Decimal("12000.00")
    )


def test_routing_asks_training_for_certifications(
    session: Session,
    world: dict[str, Any],
    make_partner: Callable[..., Partner],
    make_user: Callable[..., User],
) -> None:
    vendor, certified = world["vendor"], world["partner"]
    uncertified = make_partner()  # same region and type: only the certification tells them apart
    make_user(Role.PARTNER_ADMIN, uncertified)
    course = training.create_course(session, vendor, {"title": "Security basics"})
    path = training.create_path(
        session,
        vendor,
        {"name": "Security", "role": "technical", "course_ids": [course.id], "code": "SEC"},
    )
    learner = make_user(Role.PARTNER_USER, certified)
    training.enrol(session, learner, path.id)
    assert [c.code for c in training.submit_attempt(session, learner, course.id, []).certifications]
    routing.create_rule(
        session,
        vendor,
        {"name": "Security leads", "position": 0, "required_certifications": ["SEC"]},
    )
    body = {"company": "Harbour Logistics GmbH", "region": "EMEA"}
    for n in range(3):  # round-robin among equals would hand the uncertified one a turn
        lead = lifecycle.create_lead(
            session, vendor, body | {"email": f"p{n}@harbour.example"}, accept_within=WITHIN
        )
        assert lead.partner_id == certified.id
    # Once the certification lapses, that rule matches nobody and the next one shares the leads.
    cert = session.scalars(select(Certification).where(Certification.user_id == learner.id)).one()
    cert.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    session.flush()
    owners = {
        lifecycle.create_lead(
            session, vendor, body | {"email": f"q{n}@harbour.example"}, accept_within=WITHIN
        ).partner_id
        for n in range(2)
    }
    assert owners == {certified.id, uncertified.id}


def test_each_recipient_gets_their_own_unsubscribe_link() -> None:
    post = OutgoingPost(
        key="k1",
        text="Hello\nUnsubscribe: {{ unsubscribe_url }}",
        subject="News",
        html='<p>Hi</p><a href="{{ unsubscribe_url }}">Unsubscribe</a>',
        recipients=("a@x.example",),
        unsubscribe_urls={"a@x.example": "https://portal.example/unsubscribe/t1?a=1&b=2"},
    )
    msg = build_message(post, "news@partner.example", "a@x.example")
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "https://portal.example/unsubscribe/t1?a=1&b=2" in text
    assert 'href="https://portal.example/unsubscribe/t1?a=1&amp;b=2"' in html
    assert "{{" not in text + html
    assert msg["List-Unsubscribe"] == "<https://portal.example/unsubscribe/t1?a=1&b=2>"
