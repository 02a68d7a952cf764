"""Portal pages of lead routing: a partner answers and works offered leads, claims from the
pool; the vendor imports leads, keeps routing rules and reads each lead's history."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from sqlalchemy import text

from prm_domain.enums import LeadState, Role
from prm_domain.leads import lifecycle, routing
from prm_domain.models import Lead, LeadRoutingRule
from tests.app.test_portal import (  # noqa: F401 - fast_argon2 and password_hash are fixtures
    fast_argon2,
    password_hash,
    post_form,
    text_of,
    token,
)

# (rule, method) of every portal_leads route with an object id; wired into the tenancy walker
# through FEATURE_MODULES there.
CROSS_TENANT_CASES: list[tuple[str, str]] = [
    ("/leads/<id:lead_id>/move", "POST"),
    ("/lead-routing/<id:rule_id>/delete", "POST"),
]
WITHIN = dt.timedelta(hours=48)
# What a refused lead request could change (a sign-in changes sessions: not compared).
LEAD_TABLES = ("lead", "lead_offer", "lead_routing_rule", "notification", "audit_event")


def _lead_tables(session: Any) -> dict[str, list[Any]]:
    session.expire_all()
    conn = session.connection()
    return {
        t: sorted(map(tuple, conn.execute(text(f'SELECT * FROM "{t}"'))), key=repr)
        for t in LEAD_TABLES
    }


@pytest.fixture
def world(make_tier, make_partner, make_user, session) -> dict[str, Any]:
    tier = make_tier(name="Silver")
    acme = make_partner(name="Acme Reseller", tier=tier)
    other = make_partner(name="Other Org GmbH", tier=tier, region="APAC", country="SG")
    w = {
        "acme": acme,
        "other": other,
        "vendor": make_user(Role.CHANNEL_MANAGER),
        "acme_admin": make_user(Role.PARTNER_ADMIN, acme),
        "other_admin": make_user(Role.PARTNER_ADMIN, other),
        "other_user": make_user(Role.PARTNER_USER, other),
    }
    routing.create_rule(session, w["vendor"], {"name": "EMEA", "regions": ["EMEA"]})
    w["offered"] = lifecycle.create_lead(
        session,
        w["vendor"],
        {"email": "buyer@customer.example", "phone": "+49 30 1", "company": "Customer AG",
         "region": "EMEA", "name": "Bea Buyer"},
        accept_within=WITHIN,
    )  # fmt: skip
    w["pooled"] = lifecycle.create_lead(
        session,
        w["vendor"],
        {"email": "pool@prospect.example", "company": "Pool Co", "message": "Call me"},
        accept_within=WITHIN,
    )
    session.commit()
    assert w["offered"].partner_id == acme.id and w["pooled"].partner_id is None
    return w


def test_cross_tenant_cases_cover_every_leads_route_with_an_id(app):
    rules = {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("portal_leads.") and rule.arguments
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert rules == set(CROSS_TENANT_CASES)


def test_another_organisation_gets_404_and_changes_nothing(client, sign_in_as, session, world):
    lead = world["offered"]
    rule_id = session.query(LeadRoutingRule.id).scalar()
    before = _lead_tables(session)
    for actor in (world["other_admin"], world["other_user"]):
        sign_in_as(actor)
        for action in ("accept", "decline", "claim", "working", "convert", "lost"):
            r = post_form(client, f"/leads/{lead.id}/move", {"action": action, "reason": "x"})
            assert r.status_code == 404, (action, r.status_code)
            assert "Customer AG" not in text_of(r)
        r = post_form(client, f"/lead-routing/{rule_id}/delete")
        assert r.status_code == 404
    assert _lead_tables(session) == before


def test_partner_accepts_works_and_converts_an_offered_lead(client, sign_in_as, session, world):
    lead = world["offered"]
    sign_in_as(world["acme_admin"])
    page = text_of(client.get("/leads?state=assigned"))
    assert "Customer AG" in page and "buyer@customer.example" not in page
    assert "after you accept" in page
    detail = text_of(client.get(f"/leads/{lead.id}"))
    assert "buyer@customer.example" not in detail and "+49 30 1" not in detail
    assert 'value="accept"' in detail
    r = post_form(client, f"/leads/{lead.id}/move", {"action": "accept"})
    assert r.status_code == 302
    detail = text_of(client.get(f"/leads/{lead.id}"))
    assert "buyer@customer.example" in detail and 'value="working"' in detail
    assert "Assignment history" in detail
    post_form(client, f"/leads/{lead.id}/move", {"action": "working"})
    # Converting opens the deal form prefilled from the lead; registering converts the lead.
    r = post_form(client, f"/leads/{lead.id}/move", {"action": "convert"})
    assert r.status_code == 302 and f"/deals/new?lead={lead.id}" in r.headers["Location"]
    form = client.get(r.headers["Location"]).get_data(as_text=True)
    assert 'value="buyer@customer.example"' in form and f'value="{lead.id}"' in form
    r = post_form(
        client,
        "/deals/new",
        {
            "lead_id": str(lead.id),
            "company": "Customer AG",
            "contact_name": "Buyer",
            "contact_email": "buyer@customer.example",
            "country": "DE",
            "estimated_value": "5000.00",
            "expected_close": "2027-06-30",
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    session.refresh(lead)
    assert lead.state == LeadState.CONVERTED and lead.converted_deal_id is not None
    # An illegal move is refused with a message, nothing changed.
    r = post_form(client, f"/leads/{lead.id}/move", {"action": "lost", "reason": "late"})
    assert "cannot become lost" in text_of(client.get(r.headers["Location"]))
    assert "Converted" in text_of(client.get("/leads?state=converted"))


def test_pool_claim_and_vendor_pages(client, sign_in_as, session, world):
    pooled = world["pooled"]
    sign_in_as(world["other_admin"])
    page = text_of(client.get("/leads/pool"))
    assert "Pool Co" in page and "pool@prospect.example" not in page
    r = post_form(client, f"/leads/{pooled.id}/move", {"action": "claim"})
    assert r.status_code == 302
    session.refresh(pooled)
    assert (pooled.partner_id, pooled.state) == (world["other"].id, LeadState.ACCEPTED)
    assert "pool@prospect.example" in text_of(client.get(f"/leads/{pooled.id}"))
    assert "The pool is empty" in text_of(client.get("/leads/pool"))

    sign_in_as(world["vendor"])
    page = text_of(client.get("/lead-routing"))
    assert "EMEA" in page and "Add a rule" in page
    r = post_form(client, "/lead-routing", {"name": "", "countries": "UK"})
    assert r.status_code == 422 and "ISO 3166" in text_of(r)
    r = post_form(
        client,
        "/lead-routing",
        {"name": "APAC MSPs", "position": "5", "regions": "APAC", "capacity": "3", "active": "on"},
    )
    assert r.status_code == 302
    rule = session.query(LeadRoutingRule).filter_by(name="APAC MSPs").one()
    assert (rule.regions, rule.capacity, rule.position) == (["APAC"], 3, 5)
    csv = b"email,company,region\nnew@apac.example,Apac Ltd,APAC\nbad,Bad,EMEA\n"
    r = client.post(
        "/leads/import",
        data={"file": (io.BytesIO(csv), "leads.csv"), "csrf_token": token(client)},
    )
    assert "nothing was imported" in text_of(client.get(r.headers["Location"]))
    r = client.post(
        "/leads/import",
        data={
            "file": (io.BytesIO(csv[: csv.rindex(b"bad")]), "l.csv"),
            "csrf_token": token(client),
        },
    )
    assert "1 leads imported: 1 offered" in text_of(client.get(r.headers["Location"]))
    apac = session.query(Lead).filter_by(company="Apac Ltd").one()
    assert apac.partner_id == world["other"].id
    detail = text_of(client.get(f"/leads/{world['pooled'].id}"))
    assert "Other Org GmbH" in detail and "Claimed" in detail  # the assignment history
    rule_id = rule.id
    assert post_form(client, f"/lead-routing/{rule_id}/delete").status_code == 302
    session.expire_all()
    assert session.get(LeadRoutingRule, rule_id) is None


def test_every_post_route_refuses_a_missing_csrf_token(client, sign_in_as, session, world, app):
    rule_id = session.query(LeadRoutingRule.id).scalar()
    lead = world["offered"]
    paths = {
        "portal_leads.lead_move": ("acme_admin", f"/leads/{lead.id}/move", {"action": "accept"}),
        "portal_leads.lead_import": ("vendor", "/leads/import", {}),
        "portal_leads.rule_create": ("vendor", "/lead-routing", {"name": "Forged"}),
        "portal_leads.rule_delete": ("vendor", f"/lead-routing/{rule_id}/delete", {}),
    }
    posts = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("portal_leads.") and "POST" in rule.methods
    }
    assert posts == set(paths)
    before = _lead_tables(session)
    for endpoint, (who, path, data) in paths.items():
        sign_in_as(world[who])
        client.get("/")  # a page: the session holds a token now
        assert client.post(path, data=data).status_code == 400, endpoint
        assert client.post(path, data=data | {"csrf_token": "forged"}).status_code == 400
    assert _lead_tables(session) == before
