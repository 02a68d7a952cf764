"""Campaigns over the API and the portal: the vendor packages and launches, the partner
approves with edits, publications list per tenant; errors are 4xx with fields, nothing stored;
unsubscribe links work without signing in (RFC 8058 one-click POST)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from prm_domain.campaigns import contacts
from prm_domain.enums import PartnerStatus, Role
from prm_domain.models import Contact, Partner, Publication, User
from tests.conftest import Api


@pytest.fixture
def launched(
    make_partner: Callable[..., Partner],
    make_user: Callable[..., User],
    api_as: Callable[[User | None], Api],
) -> dict[str, Any]:
    partner = make_partner(timezone="America/Sao_Paulo")
    other = make_partner(status=PartnerStatus.PROSPECT)  # not active: not invited
    vendor = api_as(make_user(Role.MARKETING_MANAGER))
    r = vendor.post("/api/v1/campaigns", {"name": "Winter push", "audience_regions": ["EMEA"]})
    assert r.status_code == 201, r.json
    campaign = r.json["id"]
    r = vendor.post(
        f"/api/v1/campaigns/{campaign}/items",
        {"kind": "social", "text": "{{ partner.name }} says hi {{ link }}", "editable": ["text"],
         "max_length": 100, "day": 0, "time": "09:00"},
    )  # fmt: skip
    assert r.status_code == 201, r.json
    r = vendor.post(
        f"/api/v1/campaigns/{campaign}/items",
        {"kind": "email", "subject": "Hello from {{ partner.name }}", "text": "Body",
         "at": "2030-03-01T15:00:00Z"},
    )  # fmt: skip
    assert r.status_code == 201, r.json
    assert vendor.post(f"/api/v1/campaigns/{campaign}/launch").status_code == 200
    admin = make_user(Role.PARTNER_ADMIN, partner)
    return {
        "vendor": vendor,
        "campaign": campaign,
        "partner": partner,
        "admin": admin,
        "api": api_as(admin),
        "stranger": api_as(make_user(Role.PARTNER_ADMIN, other)),
        "items": [i["id"] for i in vendor.get(f"/api/v1/campaigns/{campaign}/items").json["items"]],
    }


def test_vendor_launches_partner_approves_and_sees_its_publications(
    launched: dict[str, Any], session: Session
) -> None:
    api = launched["api"]
    enrolments = api.get("/api/v1/enrolments").json["items"]
    assert [e["campaign_id"] for e in enrolments] == [launched["campaign"]]
    enrolment = enrolments[0]["id"]
    social = launched["items"][0]
    r = api.post(
        f"/api/v1/enrolments/{enrolment}/approve", {"edits": {str(social): {"text": "Mine!"}}}
    )
    assert r.status_code == 200, r.json
    assert r.json["status"] == "approved"
    pubs = api.get(f"/api/v1/publications?campaign_id={launched['campaign']}").json
    assert pubs["total"] == 2
    first = pubs["items"][0]
    assert set(first) >= {"id", "campaign_id", "item_id", "partner_id", "channel_id", "state",
                          "due_at", "published_at", "external_id", "external_url", "attempts",
                          "last_error"}  # fmt: skip
    assert {p["state"] for p in pubs["items"]} == {"scheduled"}
    assert any(p["due_at"].startswith("2030-03-01T15:00:00") for p in pubs["items"])
    vendor_view = launched["vendor"].get(
        f"/api/v1/publications?partner_id={launched['partner'].id}"
    )
    assert vendor_view.json["total"] == 2
    assert launched["stranger"].get("/api/v1/publications").status_code == 403  # prospect
    results = launched["vendor"].get(f"/api/v1/campaigns/{launched['campaign']}/results").json
    assert (results["invited"], results["approved"], results["scheduled"]) == (1, 1, 2)
    assert api.post(f"/api/v1/enrolments/{enrolment}/pause").json["status"] == "paused"
    assert api.post(f"/api/v1/enrolments/{enrolment}/resume").json["status"] == "approved"
    copy = launched["vendor"].post(f"/api/v1/campaigns/{launched['campaign']}/duplicate")
    assert copy.status_code == 201 and copy.json["status"] == "draft"


BAD_ITEMS = [
    ({"kind": "social", "text": "x", "time": "9am"}, "time"),
    ({"kind": "social", "text": "x", "day": -1}, "day"),
    ({"kind": "social", "text": "{{ partner.nick }}"}, "text"),
    ({"kind": "email", "text": "no subject"}, "subject"),
    ({"kind": "video"}, "kind"),
    ({"kind": "social", "text": "x", "editable": ["title"]}, "editable"),
    ({"kind": "social", "text": "x", "at": "tomorrow"}, "at"),
    ({"kind": "social", "text": "x", "day": 1, "at": "2030-01-01T00:00:00Z"}, "at"),
]


def test_bad_items_are_422_and_store_nothing(launched: dict[str, Any], session: Session) -> None:
    url = f"/api/v1/campaigns/{launched['campaign']}/items"
    for body, field in BAD_ITEMS:
        r = launched["vendor"].post(url, body)
        assert r.status_code == 422, (body, r.json)
        assert field in r.json["error"]["fields"], (body, r.json)
    assert len(launched["vendor"].get(url).json["items"]) == 2


def test_partner_errors(launched: dict[str, Any], session: Session) -> None:
    api = launched["api"]
    enrolment = api.get("/api/v1/enrolments").json["items"][0]["id"]
    social, email = launched["items"]
    too_long = api.post(
        f"/api/v1/enrolments/{enrolment}/approve", {"edits": {str(social): {"text": "x" * 101}}}
    )
    assert too_long.status_code == 422
    not_editable = api.post(
        f"/api/v1/enrolments/{enrolment}/approve", {"edits": {str(email): {"subject": "x"}}}
    )
    assert not_editable.status_code == 422
    assert api.post(f"/api/v1/enrolments/{enrolment}/pause").status_code == 409
    assert api.post("/api/v1/campaigns", {"name": "Mine"}).status_code == 404  # vendor-only
    assert session.scalar(select(func.count()).select_from(Publication)) == 0


def test_contacts_api_and_unsubscribe_without_login(
    launched: dict[str, Any], client: FlaskClient, session: Session
) -> None:
    api = launched["api"]
    r = api.post("/api/v1/contacts", {"email": "Ana@Example.com", "consent_source": "webinar"})
    assert r.status_code == 201 and r.json["email"] == "ana@example.com"
    assert (
        api.post(
            "/api/v1/contacts", {"email": "ana@example.com", "consent_source": "x"}
        ).status_code
        == 409
    )
    r = api.request(
        "POST",
        "/api/v1/contacts/import?consent_source=fair",
        data=b"email,name\nbo@example.com,Bo\nbad,Bad\nana@example.com,Ana\n",
    )
    assert r.status_code == 200, r.json
    assert (r.json["added"], r.json["duplicates"], len(r.json["invalid"])) == (1, 1, 1)
    assert api.get("/api/v1/contacts").json["total"] == 2
    assert launched["vendor"].get("/api/v1/contacts").status_code == 403
    token = session.scalars(select(Contact.token).where(Contact.email == "bo@example.com")).one()
    page = client.get(f"/unsubscribe/{token}")
    assert page.status_code == 200 and b"Unsubscribe" in page.data
    assert contacts.contact_by_token(session, token).status.value == "subscribed"  # GET: no
    # RFC 8058 one-click: a POST with that body and no session or CSRF token.
    r = client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert r.status_code == 200 and b"unsubscribed" in r.data
    session.expire_all()
    assert contacts.contact_by_token(session, token).status.value == "unsubscribed"
    assert client.get("/unsubscribe/" + "x" * 43).status_code == 404


def test_portal_pages_render(
    launched: dict[str, Any],
    sign_in_as: Callable[[User], FlaskClient],
    make_user: Callable[..., User],
) -> None:
    partner_client = sign_in_as(launched["admin"])
    campaign = launched["campaign"]
    for url in ("/campaigns", f"/campaigns/{campaign}", "/calendar", "/calendar?view=week",
                "/outbox", "/contacts"):  # fmt: skip
        r = partner_client.get(url)
        assert r.status_code == 200, (url, r.data[:300])
    assert b"says hi" in partner_client.get(f"/campaigns/{campaign}").data
    # The week view names its week, across a month's and a year's end too.
    week = partner_client.get("/calendar?view=week&date=2026-11-25").get_data(as_text=True)
    assert "Calendar · 23 \u2013 29 Nov 2026</h1>" in week
    week = partner_client.get("/calendar?view=week&date=2026-12-01").get_data(as_text=True)
    assert "Calendar · 30 Nov \u2013 6 Dec 2026</h1>" in week
    week = partner_client.get("/calendar?view=week&date=2027-01-01").get_data(as_text=True)
    assert "Calendar · 28 Dec 2026 \u2013 3 Jan 2027</h1>" in week
    month = partner_client.get("/calendar?date=2026-11-25").get_data(as_text=True)
    assert "Calendar · November 2026</h1>" in month
    vendor_client = sign_in_as(make_user(Role.MARKETING_MANAGER))
    for url in ("/campaigns", f"/campaigns/{campaign}", f"/campaigns/{campaign}/results.csv",
                "/calendar"):  # fmt: skip
        r = vendor_client.get(url)
        assert r.status_code == 200, (url, r.data[:300])
    # Results list an invited partner that has not answered yet, for each item.
    page = vendor_client.get(f"/campaigns/{campaign}").get_data(as_text=True)
    assert page.count('data-label="Partner\'s answer">Invited<') == 2
