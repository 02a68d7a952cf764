"""MDF portal pages: balances, the request and claim flow through forms, the vendor's queue,
charts as SVG, and another organisation's objects a 404 with nothing changed."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from prm_domain.enums import MdfClaimStatus, MdfRequestStatus, Role
from prm_domain.mdf import claims, funds, requests
from prm_domain.models import MdfClaim, MdfRequest
from prm_domain.storage import LocalStorage
from tests.app.test_portal import (  # noqa: F401 - fast_argon2 is a fixture
    fast_argon2,
    post_form,
)
from tests.app.test_portal_tenancy import snapshot
from tests.mdf_fixtures import ATTENDEES, event_proofs, fund_values, png, request_values

TODAY = dt.date.today()

# Every MDF page route with an id (wired into tests/app/test_portal_tenancy.py).
CROSS_TENANT_CASES: list[tuple[str, str]] = [
    ("/mdf/requests/<id:request_id>", "GET"),
    ("/mdf/requests/<id:request_id>/decision", "POST"),
    ("/mdf/requests/<id:request_id>/claims", "POST"),
    ("/mdf/claims/<id:claim_id>/decision", "POST"),
]


@pytest.fixture
def world(session: Session, make_partner: Any, make_user: Any, app: Any) -> dict[str, Any]:
    vendor = make_user(Role.VENDOR_ADMIN)
    acme, other = make_partner(), make_partner()
    admin = make_user(Role.PARTNER_ADMIN, acme)
    stranger = make_user(Role.PARTNER_ADMIN, other)
    fund = funds.create_fund(
        session,
        vendor,
        fund_values(starts_on=TODAY - dt.timedelta(days=30), ends_on=TODAY + dt.timedelta(days=30)),
    )
    for p in (acme, other):
        funds.allocate(session, vendor, fund.id, {"partner_id": p.id, "amount": Decimal("3000.00")})
    day = {"starts_on": TODAY - dt.timedelta(days=1), "ends_on": TODAY}
    req = requests.submit_request(session, admin, request_values(fund.id, **day))
    requests.approve_request(session, vendor, req.id)
    claim = claims.submit_claim(
        session,
        admin,
        LocalStorage(app.config["STORAGE_DIR"]),
        {"request_id": req.id, "amount": Decimal("10.00"), "actual_cost": Decimal("10.00")},
        event_proofs(),
        TODAY,
    )
    session.commit()
    return {
        "vendor": vendor,
        "admin": admin,
        "stranger": stranger,
        "fund": fund,
        "req": req,
        "claim": claim,
        "day": day,
    }


def test_cross_tenant_cases_cover_every_mdf_route_with_an_id(app: Any) -> None:
    rules = {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("portal_mdf.") and rule.arguments
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert rules == set(CROSS_TENANT_CASES)


def test_another_organisation_gets_404_and_changes_nothing(
    client: Any, sign_in_as: Any, session: Session, world: dict[str, Any]
) -> None:
    rid, cid = world["req"].id, world["claim"].id
    calls = {
        CROSS_TENANT_CASES[0]: lambda: client.get(f"/mdf/requests/{rid}"),
        CROSS_TENANT_CASES[1]: lambda: post_form(
            client, f"/mdf/requests/{rid}/decision", {"decision": "approve"}
        ),
        CROSS_TENANT_CASES[2]: lambda: post_form(
            client, f"/mdf/requests/{rid}/claims", {"amount": "1.00", "actual_cost": "1.00"}
        ),
        CROSS_TENANT_CASES[3]: lambda: post_form(
            client, f"/mdf/claims/{cid}/decision", {"decision": "approve"}
        ),
    }
    sign_in_as(world["stranger"])
    before = snapshot(session)
    assert {key: call().status_code for key, call in calls.items()} == dict.fromkeys(calls, 404)
    assert snapshot(session) == before
    assert (
        client.get(
            f"/api/v1/mdf/proofs/{claims.proofs_of(session, world['claim'])[0].id}"
        ).status_code
        == 404
    )


def test_partner_asks_claims_and_sees_the_timeline(
    client: Any, sign_in_as: Any, session: Session, world: dict[str, Any]
) -> None:
    sign_in_as(world["admin"])
    page = client.get("/mdf").get_data(as_text=True)
    assert "available" in page and "<svg" in page
    r = post_form(
        client,
        "/mdf/requests",
        {
            "fund_id": str(world["fund"].id),
            "activity_type": "webinar",
            "description": "Webinar",
            "starts_on": str(world["day"]["starts_on"]),
            "ends_on": str(world["day"]["ends_on"]),
            "total_cost": "300.00",
            "requested_amount": "150.00",
            "expected_leads": "12",
        },
    )
    assert r.status_code == 302
    req = session.query(MdfRequest).filter_by(description="Webinar").one()
    r = post_form(
        client, "/mdf/requests", {"fund_id": str(world["fund"].id), "requested_amount": "99999.00"}
    )
    assert r.status_code == 302  # refused with the reasons as a message
    requests.approve_request(session, world["vendor"], req.id)
    session.commit()
    r = post_form(
        client,
        f"/mdf/requests/{req.id}/claims",
        {
            "amount": "150.00",
            "actual_cost": "300.00",
            "results": "40 attendees",
            "proof": [(io.BytesIO(ATTENDEES), "attendees.csv")],
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 302
    claim = session.query(MdfClaim).filter_by(request_id=req.id).one()
    assert claim.status is MdfClaimStatus.SUBMITTED
    page = client.get(f"/mdf/requests/{req.id}").get_data(as_text=True)
    assert "submitted" in page and "approved" in page and "attendees.csv" in page


def test_vendor_queue_decisions_and_payment(
    client: Any, sign_in_as: Any, session: Session, world: dict[str, Any], make_user: Any
) -> None:
    req2 = requests.submit_request(
        session, world["admin"], request_values(world["fund"].id, **world["day"])
    )
    session.commit()
    sign_in_as(world["vendor"])
    page = client.get("/mdf").get_data(as_text=True)
    assert "Approval queue" in page and f"#{req2.id}" in page and "Utilisation" in page
    post_form(
        client,
        f"/mdf/requests/{req2.id}/decision",
        {"decision": "approve", "amount": "500.00", "reason": "half"},
    )
    session.expire_all()
    assert session.get(MdfRequest, req2.id).status is MdfRequestStatus.APPROVED
    cid = world["claim"].id
    post_form(client, f"/mdf/claims/{cid}/decision", {"decision": "approve"})
    post_form(
        client,
        f"/mdf/claims/{cid}/decision",
        {"decision": "pay", "reference": "SEPA-9", "paid_on": str(TODAY)},
    )
    session.expire_all()
    assert session.get(MdfClaim, cid).status is MdfClaimStatus.PAID
    assert png()  # the fixtures' image helper stays importable for the demo proofs


def test_every_post_route_refuses_a_missing_csrf_token(
    client: Any, sign_in_as: Any, session: Session, world: dict[str, Any], app: Any
) -> None:
    rid, cid = world["req"].id, world["claim"].id
    paths = {
        "portal_mdf.request_create": ("admin", "/mdf/requests"),
        "portal_mdf.claim_create": ("admin", f"/mdf/requests/{rid}/claims"),
        "portal_mdf.request_decide": ("vendor", f"/mdf/requests/{rid}/decision"),
        "portal_mdf.claim_decide": ("vendor", f"/mdf/claims/{cid}/decision"),
    }
    posts = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("portal_mdf.") and "POST" in rule.methods
    }
    assert posts == set(paths)
    signed_in = None
    for endpoint, (who, path) in sorted(paths.items(), key=lambda kv: kv[1][0]):
        if who != signed_in:  # one sign-in per actor: argon2 is slow on purpose
            sign_in_as(world[who])
            client.get("/")
            signed_in = who
        before = snapshot(session)
        data = {"decision": "approve", "fund_id": str(world["fund"].id), "amount": "1.00"}
        assert client.post(path, data=data).status_code == 400, endpoint
        assert client.post(path, data=data | {"csrf_token": "forged"}).status_code == 400
        assert snapshot(session) == before
