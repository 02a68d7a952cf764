"""Lead routing and the lead state machine, on the domain (SQLite and Postgres)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from prm_domain import access, deals
from prm_domain.deals.registrations import prefill_from_lead
from prm_domain.enums import LeadState, OfferOutcome, PartnerStatus, PartnerType, Region, Role
from prm_domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from prm_domain.leads import lifecycle, routing
from prm_domain.models import AuditEvent, Lead, LeadOffer, Notification, Partner, User
from prm_domain.training import partner_certifications

WITHIN = dt.timedelta(hours=48)


@pytest.fixture
def world(
    session: Session, make_partner: Callable[..., Partner], make_user: Callable[..., User]
) -> dict[str, Any]:
    vendor = make_user(Role.VENDOR_ADMIN)
    emea = [make_partner(verticals=["health"]) for _ in range(2)]
    msp = make_partner(type=PartnerType.MSP, country="US", region=Region.NORTH_AMERICA)
    prospect = make_partner(status=PartnerStatus.PROSPECT)
    admins = {p.id: make_user(Role.PARTNER_ADMIN, p) for p in [*emea, msp, prospect]}
    return {"vendor": vendor, "emea": emea, "msp": msp, "prospect": prospect, "admins": admins}


def _lead(session: Session, w: dict[str, Any], **values: Any) -> Lead:
    body = {"email": "buyer@customer.example", "company": "Customer AG", "phone": "+49 1"}
    return lifecycle.create_lead(session, w["vendor"], body | values, accept_within=WITHIN)


def test_rules_route_by_territory_round_robin_and_capacity(
    session: Session, world: dict[str, Any]
) -> None:
    vendor, (a, b) = world["vendor"], world["emea"]
    routing.create_rule(session, vendor, {"name": "EMEA", "regions": ["EMEA"], "capacity": 2})
    leads = [_lead(session, world, region="EMEA") for _ in range(5)]
    # Round-robin among equals, by partner id; each takes two, then the pool (capacity 2).
    assert [x.partner_id for x in leads] == [a.id, b.id, a.id, b.id, None]
    assert [x.state for x in leads[:4]] == [LeadState.ASSIGNED] * 4
    assert leads[4].state == LeadState.POOL and all(x.accept_by for x in leads[:4])
    # A lead outside the territory matches no rule: the pool. The prospect never gets one.
    assert _lead(session, world, region="APAC").partner_id is None
    # The partner is told without contact details.
    note = session.scalars(select(Notification).where(Notification.partner_id == a.id)).first()
    assert note is not None and "Customer AG" in note.text and "buyer@" not in note.text
    actions = set(session.scalars(select(AuditEvent.action)))
    assert {"lead.created", "lead.offered", "lead.pooled"} <= actions


def test_partner_side_criteria_and_certification_seam(
    session: Session, world: dict[str, Any], make_tier: Callable[..., Any]
) -> None:
    vendor, msp = world["vendor"], world["msp"]
    assert partner_certifications(session, msp.id) == set()
    routing.create_rule(
        session, vendor, {"name": "Certified", "position": 1, "required_certifications": ["SEC"]}
    )
    routing.create_rule(session, vendor, {"name": "MSPs", "position": 2, "partner_types": ["msp"]})
    routing.create_rule(session, vendor, {"name": "Health", "position": 3, "verticals": ["health"]})
    # Nobody holds SEC: the next rule (MSPs) gets it.
    assert _lead(session, world).partner_id == msp.id
    # A health lead: the MSP rule comes first and matches any lead.
    health = _lead(session, world, vertical="health")
    assert health.partner_id == msp.id
    gold = make_tier()
    rule = routing.create_rule(
        session, vendor, {"name": "Gold", "position": 0, "tier_ids": [gold.id]}
    )
    world["emea"][0].tier_id = gold.id
    session.flush()
    assert _lead(session, world).partner_id == world["emea"][0].id
    routing.update_rule(session, vendor, rule.id, {"active": False})
    assert _lead(session, world).partner_id == msp.id


def test_rule_values_are_checked(session: Session, world: dict[str, Any]) -> None:
    vendor = world["vendor"]
    with pytest.raises(ValidationError) as exc:
        routing.create_rule(
            session,
            vendor,
            {
                "name": "",
                "countries": ["UK"],
                "regions": ["MARS"],
                "tier_ids": [999_999],
                "capacity": 0,
                "colour": "red",
            },
        )
    assert set(exc.value.fields) == {
        "name",
        "countries",
        "regions",
        "tier_ids",
        "capacity",
        "colour",
    }
    partner_admin = world["admins"][world["msp"].id]
    with pytest.raises(NotFound):
        routing.list_rules(session, partner_admin)
    with pytest.raises(NotFound):
        lifecycle.create_lead(
            session, partner_admin, {"email": "x@y.example"}, accept_within=WITHIN
        )


def test_offer_lapses_to_the_next_partner_once(session: Session, world: dict[str, Any]) -> None:
    a, b = world["emea"]
    routing.create_rule(session, world["vendor"], {"name": "EMEA", "regions": ["EMEA"]})
    lead = _lead(session, world, region="EMEA")
    assert lead.partner_id == a.id
    session.execute(update(Lead).where(Lead.id == lead.id).values(accept_by=_past()))
    assert lifecycle.expire_offers(session, accept_within=WITHIN) == 1
    assert lifecycle.expire_offers(session, accept_within=WITHIN) == 0  # idempotent
    session.refresh(lead)
    assert (lead.partner_id, lead.state) == (b.id, LeadState.ASSIGNED)
    # a's notification about the lead went with it.
    assert not session.scalars(select(Notification).where(Notification.partner_id == a.id)).all()
    session.execute(update(Lead).where(Lead.id == lead.id).values(accept_by=_past()))
    assert lifecycle.expire_offers(session, accept_within=WITHIN) == 1
    session.refresh(lead)
    # Everyone eligible had a turn: the pool, which they cannot claim back.
    assert (lead.partner_id, lead.state) == (None, LeadState.POOL)
    outcomes = session.scalars(select(LeadOffer.outcome).order_by(LeadOffer.id)).all()
    assert outcomes == [OfferOutcome.EXPIRED, OfferOutcome.EXPIRED]
    with pytest.raises(NotFound):
        lifecycle.claim_lead(session, world["admins"][a.id], lead.id)


def test_accept_decline_claim_and_the_state_machine(
    session: Session, world: dict[str, Any], make_user: Callable[..., User]
) -> None:
    a, b = world["emea"]
    admin_a, admin_b = world["admins"][a.id], world["admins"][b.id]
    routing.create_rule(session, world["vendor"], {"name": "EMEA", "regions": ["EMEA"]})
    lead = _lead(session, world, region="EMEA", name="Lee")
    # Offered, not accepted: seen without contact details; b does not see it at all.
    assert not access.can_see_lead_contact(admin_a, lead.state, lead.partner_id)
    assert access.can_see_lead_contact(world["vendor"], lead.state, lead.partner_id)
    with pytest.raises(NotFound):
        lifecycle.accept_lead(session, admin_b, lead.id)
    member = make_user(Role.PARTNER_USER, a)
    with pytest.raises(NotFound):  # not assigned to them: not theirs to see
        lifecycle.accept_lead(session, member, lead.id)
    with pytest.raises(Conflict):
        lifecycle.start_working(session, admin_a, lead.id)
    lifecycle.decline_lead(session, admin_a, lead.id, accept_within=WITHIN)
    assert lead.partner_id == b.id
    lifecycle.accept_lead(session, admin_b, lead.id)
    assert lead.state == LeadState.ACCEPTED
    assert access.can_see_lead_contact(admin_b, lead.state, lead.partner_id)
    with pytest.raises(Conflict):
        lifecycle.accept_lead(session, admin_b, lead.id)
    with pytest.raises(PermissionDenied):
        lifecycle.start_working(session, world["vendor"], lead.id)  # the vendor watches
    lifecycle.start_working(session, admin_b, lead.id)
    with pytest.raises(ValidationError):
        lifecycle.lose_lead(session, admin_b, lead.id, "  ")
    with pytest.raises(ValidationError):  # not a deal of b's
        lifecycle.convert_lead(session, admin_b, lead.id, 41)
    deal = deals.register_deal(
        session,
        admin_b,
        {
            "company": "Customer AG",
            "contact_name": "Buyer",
            "contact_email": "buyer@customer.example",
            "country": "DE",
            "estimated_value": "1000.00",
            "expected_close": "2027-06-30",
        },
    )
    lifecycle.convert_lead(session, admin_b, lead.id, deal.id)
    assert (lead.state, lead.converted_deal_id) == (LeadState.CONVERTED, deal.id)
    assert prefill_from_lead(lead)["contact_email"] == "buyer@customer.example"
    with pytest.raises(Conflict):
        lifecycle.lose_lead(session, admin_b, lead.id, "went elsewhere")
    history = [o.outcome for o in lifecycle.offers_of(session, world["vendor"], lead.id)]
    assert history == [OfferOutcome.DECLINED, OfferOutcome.ACCEPTED]
    assert [o.partner_id for o in lifecycle.offers_of(session, admin_b, lead.id)] == [b.id]
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "lead").order_by(AuditEvent.id)
    ).all()
    assert actions[-5:] == [
        "lead.declined",
        "lead.offered",
        "lead.accepted",
        "lead.working",
        "lead.converted",
    ]


def test_pool_claims(session: Session, world: dict[str, Any]) -> None:
    a, b = world["emea"]
    admin_a, admin_b = world["admins"][a.id], world["admins"][b.id]
    routing.create_rule(
        session, world["vendor"], {"name": "EMEA health", "regions": ["EMEA"], "capacity": 1}
    )
    _lead(session, world, region="EMEA")
    _lead(session, world, region="EMEA")  # a and b at capacity
    pooled = _lead(session, world, region="EMEA")
    apac = _lead(session, world, region="APAC")  # no rule matches: any active partner
    assert pooled.state == apac.state == LeadState.POOL
    assert lifecycle.list_pool(session, admin_a).items == [apac]
    msp_admin = world["admins"][world["msp"].id]
    assert {x.id for x in lifecycle.list_pool(session, msp_admin).items} == {apac.id}
    assert lifecycle.list_pool(session, world["vendor"]).total == 2
    with pytest.raises(NotFound):
        lifecycle.get_lead(session, admin_a, apac.id)  # pool leads are not partners' leads
    lifecycle.claim_lead(session, admin_a, apac.id)
    assert (apac.partner_id, apac.state) == (a.id, LeadState.ACCEPTED)
    with pytest.raises(Conflict):  # b saw it in its pool and lost the race
        lifecycle.claim_lead(session, admin_b, apac.id)
    with pytest.raises(PermissionDenied):
        lifecycle.claim_lead(session, world["vendor"], pooled.id)
    prospect_admin = world["admins"][world["prospect"].id]
    with pytest.raises(access.PartnerInactive):
        lifecycle.list_pool(session, prospect_admin)


def test_import_is_all_or_nothing(session: Session, world: dict[str, Any]) -> None:
    vendor = world["vendor"]
    bad = b"email,name,country\nok@x.example,Ok,DE\nnot-an-email,Bad,UK\n"
    with pytest.raises(ValidationError) as exc:
        lifecycle.import_leads(session, vendor, bad, accept_within=WITHIN)
    assert set(exc.value.fields) == {"row 3.email", "row 3.country"}
    assert session.scalar(select(Lead.id)) is None
    with pytest.raises(ValidationError):
        lifecycle.import_leads(session, vendor, b"name\nx\n", accept_within=WITHIN)
    good = "\ufeffEmail,Name,Region\na@x.example,A,EMEA\nb@x.example,B,\n".encode()
    result = lifecycle.import_leads(session, vendor, good, accept_within=WITHIN)
    assert [x.source for x in result.created] == ["import", "import"]
    assert [x.region for x in result.created] == ["EMEA", ""]


def _past() -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
