"""The lead routing API: vendor leads and rules, a partner's answers, contact details withheld
until the partner owns the lead (the lead's page, the list, the CSV export)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from prm_domain.enums import Region, Role


def test_vendor_lead_is_offered_answered_and_worked(make_partner, make_user, api_as) -> None:
    a = make_partner()
    b = make_partner(region=Region.APAC, country="SG")
    vendor = api_as(make_user(Role.CHANNEL_MANAGER))
    admin_a, member_a = (
        api_as(make_user(Role.PARTNER_ADMIN, a)),
        api_as(make_user(Role.PARTNER_USER, a)),
    )
    admin_b = api_as(make_user(Role.PARTNER_ADMIN, b))

    r = vendor.post("/api/v1/lead-routing-rules", {"name": "EMEA", "regions": ["EMEA"]})
    assert r.status_code == 201, r.json
    rule = r.json["id"]
    assert vendor.get("/api/v1/lead-routing-rules").json["total"] == 1
    r = vendor.patch(f"/api/v1/lead-routing-rules/{rule}", {"capacity": None, "position": 2})
    assert r.status_code == 200 and r.json["position"] == 2
    assert vendor.patch(f"/api/v1/lead-routing-rules/{rule}", {"name": None}).status_code == 422
    bad = vendor.post("/api/v1/lead-routing-rules", {"name": "X", "countries": ["UK"]})
    assert bad.status_code == 422 and "countries" in bad.json["error"]["fields"]
    assert admin_a.get("/api/v1/lead-routing-rules").status_code == 404

    body: dict[str, Any] = {
        "email": "buyer@customer.example",
        "phone": "+49 1",
        "company": "Customer AG",
        "region": "EMEA",
    }
    r = vendor.post("/api/v1/leads", body)
    assert r.status_code == 201, r.json
    lead = r.json
    assert (lead["partner_id"], lead["state"]) == (a.id, "assigned") and lead["accept_by"]
    assert vendor.post("/api/v1/leads", body | {"email": "nope"}).status_code == 422
    assert admin_a.post("/api/v1/leads", body).status_code == 404

    seen = admin_a.get(f"/api/v1/leads/{lead['id']}").json
    assert (seen["email"], seen["phone"], seen["contact_hidden"]) == ("", "", True)
    listed = admin_a.get("/api/v1/leads?state=assigned").json
    assert [x["email"] for x in listed["items"]] == [""]
    assert admin_a.get("/api/v1/leads?state=bogus").status_code == 422
    assert "buyer@customer.example" not in admin_a.get("/api/v1/leads/export.csv").get_data(
        as_text=True
    )
    assert member_a.post(f"/api/v1/leads/{lead['id']}/accept").status_code == 404
    assert admin_b.post(f"/api/v1/leads/{lead['id']}/accept").status_code == 404

    r = admin_a.post(f"/api/v1/leads/{lead['id']}/accept")
    assert r.status_code == 200 and r.json["email"] == "buyer@customer.example"
    assert admin_a.post(f"/api/v1/leads/{lead['id']}/accept").status_code == 409
    assert admin_a.post(f"/api/v1/leads/{lead['id']}/lost", {}).status_code == 422
    assert admin_a.post(f"/api/v1/leads/{lead['id']}/working").json["state"] == "working"
    # Another partner's deal (or none) is not this lead's deal.
    r = admin_a.post(f"/api/v1/leads/{lead['id']}/convert", {"deal_id": 5})
    assert r.status_code == 422 and "deal_id" in r.json["error"]["fields"]
    # Registering the deal with the lead converts it.
    deal = {
        "company": "Customer AG",
        "contact_name": "Buyer",
        "contact_email": "buyer@customer.example",
        "country": "DE",
        "estimated_value": "5000.00",
        "expected_close": "2027-06-30",
        "lead_id": lead["id"],
    }
    r = admin_a.post("/api/v1/deals", deal)
    assert r.status_code == 201, r.json
    seen = admin_a.get(f"/api/v1/leads/{lead['id']}").json
    assert (seen["state"], seen["converted_deal_id"]) == ("converted", r.json["id"])
    r = admin_a.post(f"/api/v1/leads/{lead['id']}/lost", {"reason": "gone"})
    assert r.status_code == 409 and r.json["error"]["code"] == "conflict"


def test_pool_and_claim_over_the_api(make_partner, make_user, api_as) -> None:
    a, b = make_partner(), make_partner()
    vendor = api_as(make_user(Role.VENDOR_ADMIN))
    admin_a, admin_b = (api_as(make_user(Role.PARTNER_ADMIN, p)) for p in (a, b))
    csv = b"email,company\npool@x.example,Pool Co\n"
    r = vendor.request("POST", "/api/v1/leads/import", data=csv)
    assert r.status_code == 201 and r.json["created"] == 1, r.json
    lead_id = r.json["lead_ids"][0]
    r = vendor.request("POST", "/api/v1/leads/import", data=b"email\nbad\n")
    assert r.status_code == 422 and "row 2.email" in r.json["error"]["fields"]
    assert vendor.get("/api/v1/leads/pool").json["total"] == 1
    pool = admin_a.get("/api/v1/leads/pool").json
    assert [x["id"] for x in pool["items"]] == [lead_id] and pool["items"][0]["email"] == ""
    assert admin_a.get(f"/api/v1/leads/{lead_id}").status_code == 404
    assert vendor.post(f"/api/v1/leads/{lead_id}/claim").status_code == 403
    r = admin_a.post(f"/api/v1/leads/{lead_id}/claim")
    assert r.status_code == 200 and r.json["email"] == "pool@x.example"
    assert admin_b.post(f"/api/v1/leads/{lead_id}/claim").status_code == 409
    assert admin_b.get("/api/v1/leads/pool").json["total"] == 0


def test_the_periodic_job_moves_lapsed_offers_on(app, make_partner, make_user, api_as, session):
    from sqlalchemy import update

    from app.tasks import expire_lead_offers
    from prm_domain.models import Lead

    a, b = make_partner(), make_partner()
    vendor = api_as(make_user(Role.VENDOR_ADMIN))
    assert vendor.post("/api/v1/lead-routing-rules", {"name": "All"}).status_code == 201
    lead = vendor.post("/api/v1/leads", {"email": "late@x.example"}).json
    assert lead["partner_id"] == a.id
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    session.execute(update(Lead).where(Lead.id == lead["id"]).values(accept_by=past))
    session.commit()
    with app.app_context():
        assert expire_lead_offers() == 1
        assert expire_lead_offers() == 0
    moved = vendor.get(f"/api/v1/leads/{lead['id']}").json
    assert (moved["partner_id"], moved["state"]) == (b.id, "assigned")
