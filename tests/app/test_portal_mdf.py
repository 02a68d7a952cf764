"""MDF portal pages: balances, the request and claim flow through forms, the vendor's queue,
charts as SVG, and another organisation's objects a 404 with nothing changed."""

from __future__ import annotations

import datetime as dt
import io
import re
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
    ("/mdf/claims/<id:claim_id>/answer", "POST"),
    ("/mdf/requests/<id:request_id>/resubmit", "POST"),
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
        CROSS_TENANT_CASES[4]: lambda: post_form(
            client,
            f"/mdf/claims/{cid}/answer",
            {"note": "mine", "proof": [(io.BytesIO(png()), "p.png")]},
            content_type="multipart/form-data",
        ),
        CROSS_TENANT_CASES[5]: lambda: post_form(
            client, f"/mdf/requests/{rid}/resubmit", {"description": "mine"}
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
    assert r.status_code == 422  # refused: the form again, the reasons next to its fields
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
    # A proof is described by its size in words, not a media type and a count of bytes.
    assert f"{len(ATTENDEES)} Bytes" in page and "text/csv" not in page


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
    assert "Paid per partner" in page and "Paid per tier" in page
    # The queue is every request waiting, whatever page or status the table below shows.
    filtered = client.get("/mdf?status=paid").get_data(as_text=True)
    queue = filtered.split("Approval queue", 1)[1].split("<h2>Requests</h2>", 1)[0]
    assert f">#{req2.id}</a>" in queue
    other = client.get("/mdf?activity_type=webinar").get_data(as_text=True)
    assert f">#{req2.id}</a>" not in other.split("Approval queue", 1)[1].split("<h2>", 1)[0]
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
        "portal_mdf.claim_answer": ("admin", f"/mdf/claims/{cid}/answer"),
        "portal_mdf.request_resubmit": ("admin", f"/mdf/requests/{rid}/resubmit"),
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


def test_partner_answers_the_vendors_question_and_the_claim_is_reviewed_again(
    client: Any, sign_in_as: Any, session: Session, world: dict[str, Any], app: Any
) -> None:
    cid, rid = world["claim"].id, world["req"].id
    claims.request_info(session, world["vendor"], cid, "Please add the venue invoice.")
    session.commit()
    sign_in_as(world["admin"])
    page = client.get(f"/mdf/requests/{rid}").get_data(as_text=True)
    assert "The vendor asks:" in page and "Please add the venue invoice." in page
    assert f'action="/mdf/claims/{cid}/answer' in page
    # No file: refused next to the field, the typed note kept, nothing changed.
    before = snapshot(session)
    r = post_form(
        client,
        f"/mdf/claims/{cid}/answer",
        {"note": "Invoice follows"},
        content_type="multipart/form-data",
    )
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "The files: add at least one file." not in page  # a sentence, not a field name
    assert "The files add at least one file" not in page
    assert "Add at least one file." in page and ">Invoice follows</textarea>" in page
    assert snapshot(session) == before
    # A file that is no proof: named in the message, still nothing changed.
    r = post_form(
        client,
        f"/mdf/claims/{cid}/answer",
        {"note": "Invoice", "proof": [(io.BytesIO(b"\x00\x01"), "invoice.exe")]},
        content_type="multipart/form-data",
    )
    assert r.status_code == 422
    assert "“invoice.exe” is not a PNG, JPEG, PDF, CSV or XLSX file." in r.get_data(as_text=True)
    assert snapshot(session) == before
    r = post_form(
        client,
        f"/mdf/claims/{cid}/answer",
        {"note": "The venue invoice is attached.", "proof": [(io.BytesIO(png()), "invoice.png")]},
        content_type="multipart/form-data",
    )
    assert r.status_code == 302
    session.expire_all()
    claim = session.get(MdfClaim, cid)
    assert claim.status is MdfClaimStatus.SUBMITTED
    assert "invoice.png" in [p.filename for p in claims.proofs_of(session, claim)]
    page = client.get(f"/mdf/requests/{rid}").get_data(as_text=True)
    assert "The vendor asked for more information on claim" in page
    assert "answered with more proofs" in page and "The venue invoice is attached." in page
    # Answered already: a second answer is refused (409 in the domain: a message, no change).
    before = snapshot(session)
    r = post_form(
        client,
        f"/mdf/claims/{cid}/answer",
        {"proof": [(io.BytesIO(png()), "again.png")]},
        content_type="multipart/form-data",
    )
    assert r.status_code == 302 and snapshot(session) == before
    # The vendor sees the question, not an answer form.
    sign_in_as(world["vendor"])
    claims.request_info(session, world["vendor"], cid, "And the catering bill?")
    session.commit()
    page = client.get(f"/mdf/requests/{rid}").get_data(as_text=True)
    assert "And the catering bill?" in page and "/answer" not in page
    assert (
        post_form(
            client,
            f"/mdf/claims/{cid}/answer",
            {"proof": [(io.BytesIO(png()), "v.png")]},
            content_type="multipart/form-data",
        ).status_code
        == 403
    )


def test_refused_forms_keep_what_was_typed_and_say_why_in_words(
    client: Any, sign_in_as: Any, session: Session, world: dict[str, Any]
) -> None:
    sign_in_as(world["admin"])
    typed = {
        "fund_id": str(world["fund"].id),
        "activity_type": "telemarketing",
        "description": "Calls to installed base",
        "starts_on": str(world["day"]["ends_on"]),
        "ends_on": str(world["day"]["starts_on"]),  # before the first day
        "total_cost": "300.00",
        "requested_amount": "450.00",  # more than the total cost
        "expected_leads": "12",
    }
    before = snapshot(session)
    r = post_form(client, "/mdf/requests", typed)
    assert r.status_code == 422 and snapshot(session) == before
    page = r.get_data(as_text=True)
    for value in ("Calls to installed base", "450.00", "300.00", 'value="12"'):
        assert value in page
    assert '<option value="telemarketing" selected>' in page
    assert "The last day must not be before the first day." in page
    assert "The requested amount must not be more than the total cost." in page
    assert "The expected pipeline is needed for telemarketing activities." in page
    said = _field_errors(page)
    assert len(said) == 3 and not any("_" in e or e[:1].islower() for e in said), said
    # Over the available balance: the field says how much there is.
    r = post_form(
        client,
        "/mdf/requests",
        typed
        | {
            "activity_type": "webinar",
            "ends_on": typed["starts_on"],
            "total_cost": "9000.00",
            "requested_amount": "8000.00",
        },
    )
    assert r.status_code == 422
    assert "The requested amount is more than the available balance of" in r.get_data(as_text=True)
    # A claim on an event without an attendee list: in words, the typed amounts kept.
    req = requests.submit_request(
        session, world["admin"], request_values(world["fund"].id, **world["day"])
    )
    requests.approve_request(session, world["vendor"], req.id)
    session.commit()
    r = post_form(
        client,
        f"/mdf/requests/{req.id}/claims",
        {
            "amount": "90.00",
            "actual_cost": "180.00",
            "results": "Full room",
            "proof": [(io.BytesIO(png()), "stand.png")],
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "Claims for event activities need an attendee list." in page
    assert 'value="90.00"' in page and 'value="180.00"' in page and "Full room</textarea>" in page
    assert _field_errors(page) == ["Claims for event activities need an attendee list."]


def _field_errors(page: str) -> list[str]:
    return re.findall(r'<span class="field-error">([^<]*)</span>', page)


def test_partner_changes_a_request_the_vendor_sent_back(
    client: Any, sign_in_as: Any, session: Session, world: dict[str, Any]
) -> None:
    req = requests.submit_request(
        session, world["admin"], request_values(world["fund"].id, **world["day"])
    )
    requests.request_changes(session, world["vendor"], req.id, "Split the catering out.")
    session.commit()
    sign_in_as(world["admin"])
    page = client.get(f"/mdf/requests/{req.id}").get_data(as_text=True)
    assert "The vendor asks for changes:" in page and "Split the catering out." in page
    assert "<dt>Approved</dt><dd>Not yet</dd>" in page and "still committed" not in page
    assert ">Customer day</textarea>" in page  # the form shows the request as it is
    before = snapshot(session)
    typed = {
        "activity_type": "event",
        "description": "Customer day without catering",
        "starts_on": str(world["day"]["starts_on"]),
        "ends_on": str(world["day"]["ends_on"]),
        "total_cost": "1500.00",
        "requested_amount": "800.00",
        "expected_leads": "",
    }
    r = post_form(client, f"/mdf/requests/{req.id}/resubmit", typed)
    assert r.status_code == 422 and snapshot(session) == before
    page = r.get_data(as_text=True)
    assert _field_errors(page) == ["The expected number of leads is needed for event activities."]
    assert ">Customer day without catering</textarea>" in page and 'value="800.00"' in page
    r = post_form(client, f"/mdf/requests/{req.id}/resubmit", typed | {"expected_leads": "25"})
    assert r.status_code == 302
    session.expire_all()
    changed = session.get(MdfRequest, req.id)
    assert changed.status is MdfRequestStatus.SUBMITTED
    assert changed.requested_amount == Decimal("800.00") and changed.expected_leads == 25
    page = client.get(f"/mdf/requests/{req.id}").get_data(as_text=True)
    assert "Request sent again, changed" in page and "/resubmit" not in page
    # The reason it was sent back is history now: in the timeline, not among the facts.
    assert "Reason given" not in page and "Split the catering out." in page
    # The vendor cannot send it on the partner's behalf.
    requests.request_changes(session, world["vendor"], req.id, "And the dates?")
    session.commit()
    sign_in_as(world["vendor"])
    page = client.get(f"/mdf/requests/{req.id}").get_data(as_text=True)
    assert "Waiting for the partner" in page and "/resubmit" not in page
    r = post_form(client, f"/mdf/requests/{req.id}/resubmit", typed)
    assert r.status_code == 403
