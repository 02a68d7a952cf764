"""Deal registration in the portal: the partner's form and live check, the vendor's review and
accounts import; tenancy and CSRF for every route of the blueprint."""

from __future__ import annotations

import io
from typing import Any

import pytest
from sqlalchemy import select

from prm_domain import deals
from prm_domain.enums import DealStatus, Role
from prm_domain.models import CrmAccount, DealRegistration, DealWebhook
from tests.app.test_portal import (  # noqa: F401 - fast_argon2 and password_hash are fixtures
    fast_argon2,
    password_hash,
    post_form,
    text_of,
    token,
)
from tests.app.test_portal_tenancy import snapshot

CROSS_TENANT_CASES: list[tuple[str, str]] = [
    ("/deals/<id:deal_id>", "GET"),
    ("/deals/<id:deal_id>", "POST"),
    # The CRM's webhooks are the vendor's: a page that does not exist for partners.
    ("/webhooks/<id:webhook_id>", "GET"),
    ("/webhooks/<id:webhook_id>/delete", "POST"),
]
FORM = {
    "company": "Nordwind Logistik GmbH",
    "contact_name": "Ada Berg",
    "contact_email": "ada@nordwind.example",
    "country": "DE",
    "products": "Suite, Analytics",
    "estimated_value": "25000.00",
    "expected_close": "2027-03-31",
    "notes": "",
}


@pytest.fixture
def world(make_partner: Any, make_user: Any, session: Any) -> dict[str, Any]:
    acme, other = make_partner(name="Acme Reseller"), make_partner(name="Other Org GmbH")
    w = {
        "vendor": make_user(Role.CHANNEL_MANAGER),
        "acme": acme,
        "acme_admin": make_user(Role.PARTNER_ADMIN, acme),
        "other_admin": make_user(Role.PARTNER_ADMIN, other),
        "other_user": make_user(Role.PARTNER_USER, other),
    }
    deals.create_account(
        session,
        w["vendor"],
        {"name": "Globex Corporation", "opportunities": [{"name": "Fleet", "stage": "Proposal"}]},
    )
    session.commit()
    return w


def test_register_with_live_check_then_vendor_review(client, sign_in_as, session, world):
    sign_in_as(world["acme_admin"])
    page = text_of(client.get("/deals/new"))
    assert "js/deal-check.js" in page and "<script>" not in page
    r = client.post(
        "/deals/check",
        json={"company": "Globex Inc"},
        headers={"X-CSRF-Token": token(client)},
    )
    assert r.json["conflicts"][0]["reason"].startswith("Active direct opportunity: Globex")
    assert client.post("/deals/check", json={"company": "x"}).status_code == 400  # no token
    r = post_form(client, "/deals/new", FORM | {"estimated_value": "lots"})
    assert r.status_code == 422 and "decimal" in text_of(r)
    r = post_form(client, "/deals/new", FORM | {"company": "Globex Corp."})
    assert r.status_code == 302
    deal = session.scalars(select(DealRegistration)).one()
    assert deal.products == ["Suite", "Analytics"] and deal.flagged
    body = text_of(client.get(f"/deals/{deal.id}"))
    assert "Active direct opportunity: Globex Corporation, stage Proposal" in body
    assert "Conflict" in text_of(client.get("/deals"))

    sign_in_as(world["vendor"])
    assert "Acme Reseller" in text_of(client.get("/deals?status=pending"))
    r = post_form(client, f"/deals/{deal.id}", {"action": "reject"})
    assert r.status_code == 302 and deal.status == DealStatus.PENDING  # a reason is needed
    post_form(client, f"/deals/{deal.id}", {"action": "approve", "reason": "Partner-led"})
    session.refresh(deal)
    assert deal.status == DealStatus.APPROVED and deal.protected_until


def test_accounts_import_is_all_or_nothing(client, sign_in_as, session, world):
    sign_in_as(world["vendor"])
    assert "Globex Corporation" in text_of(client.get("/accounts"))

    def upload(data: bytes) -> Any:
        return client.post(
            "/accounts",
            data={"csrf_token": token(client), "file": (io.BytesIO(data), "a.csv")},
            content_type="multipart/form-data",
        )

    r = upload(b"name,domain,aliases,owner,stage\nInitech,initech.example,,,\n,bad,,,\n")
    assert r.status_code == 422 and "Row 3: name" in text_of(r)
    assert session.scalar(select(CrmAccount.id).where(CrmAccount.name == "Initech")) is None
    assert (
        upload(b"name,domain,aliases,owner,stage\nInitech,initech.example,IT;I,,\n").status_code
        == 302
    )
    assert "Initech" in text_of(client.get("/accounts?q=initech"))
    sign_in_as(world["acme_admin"])
    assert client.get("/accounts").status_code == 404


def test_cross_tenant_cases_cover_every_deal_route_with_an_id(app):
    rules = {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("portal_deals.") and rule.arguments
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert rules == set(CROSS_TENANT_CASES)


def test_another_organisation_gets_404_and_changes_nothing(
    client, sign_in_as, session, world, make_user
):
    hook = deals.webhooks.add_webhook(
        session, make_user(Role.VENDOR_ADMIN), "https://crm.example/hook", allow_private_hosts=True
    )
    deal = deals.register_deal(
        session, world["acme_admin"], {k: v for k, v in FORM.items() if k != "products"}
    )
    session.commit()
    deal.status = DealStatus.APPROVED  # so a partner's extension request would be allowed
    session.commit()
    for actor in (world["other_admin"], world["other_user"]):
        sign_in_as(actor)
        before = snapshot(session)
        for r in (
            client.get(f"/deals/{deal.id}"),
            post_form(client, f"/deals/{deal.id}", {"action": "request_extension", "reason": "x"}),
            client.get(f"/webhooks/{hook.id}"),
            post_form(client, f"/webhooks/{hook.id}/delete"),
        ):
            assert r.status_code == 404
            assert "Nordwind" not in text_of(r) and "Acme Reseller" not in text_of(r)
        assert "Nordwind" not in text_of(client.get("/deals"))
        assert snapshot(session) == before


def test_every_post_route_refuses_a_missing_csrf_token(
    client, sign_in_as, session, world, app, make_user
):
    world["admin"] = make_user(Role.VENDOR_ADMIN)
    hook = deals.webhooks.add_webhook(
        session, world["admin"], "https://crm.example/hook", allow_private_hosts=True
    )
    deal = deals.register_deal(
        session, world["acme_admin"], {k: v for k, v in FORM.items() if k != "products"}
    )
    session.commit()
    paths = {
        "portal_deals.deal_new": ("acme_admin", "/deals/new"),
        "portal_deals.deal_check": ("acme_admin", "/deals/check"),
        "portal_deals.deal_detail": ("vendor", f"/deals/{deal.id}"),
        "portal_deals.account_list": ("vendor", "/accounts"),
        "portal_deals.webhook_list": ("admin", "/webhooks"),
        "portal_deals.webhook_delete": ("admin", f"/webhooks/{hook.id}/delete"),
    }
    posts = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("portal_deals.") and "POST" in rule.methods
    }
    assert posts == set(paths)
    for endpoint, (who, path) in paths.items():
        sign_in_as(world[who])
        client.get("/")
        before = snapshot(session)
        data = FORM | {"action": "approve"}
        assert client.post(path, data=data).status_code == 400, endpoint
        assert client.post(path, data=data | {"csrf_token": "forged"}).status_code == 400
        assert snapshot(session) == before, endpoint


def test_vendor_admin_adds_a_webhook_sees_its_secret_once_and_its_deliveries(
    app, client, sign_in_as, session, world, make_user
):
    admin = make_user(Role.VENDOR_ADMIN)
    sign_in_as(world["vendor"])  # a channel manager reviews deals but does not connect the CRM
    assert "CRM webhooks" not in text_of(client.get("/deals"))
    assert client.get("/webhooks").status_code == 403
    sign_in_as(admin)
    assert "CRM webhooks" in text_of(client.get("/deals"))
    page = client.get("/webhooks")
    assert page.status_code == 200 and "No webhooks yet" in text_of(page)
    app.config["PUBLISH_ALLOW_PRIVATE_HOSTS"] = False
    try:
        r = post_form(client, "/webhooks", {"url": "http://10.0.0.5/hook"})
    finally:
        app.config["PUBLISH_ALLOW_PRIVATE_HOSTS"] = True
    assert r.status_code == 422 and "field-error" in text_of(r)
    assert "http://10.0.0.5/hook" in text_of(r)  # what was typed stays in the field
    r = post_form(client, "/webhooks", {"url": "https://crm.example/hook"})
    assert r.status_code == 200 and "data-webhook-secret" in text_of(r)
    hook = session.scalars(select(DealWebhook)).one()
    assert hook.secret in text_of(r)
    listing = text_of(client.get("/webhooks"))
    assert "https://crm.example/hook" in listing and hook.secret not in listing
    assert "Nothing sent yet" in listing
    deals.register_deal(
        session, world["acme_admin"], {k: v for k, v in FORM.items() if k != "products"}
    )
    session.commit()
    listing = text_of(client.get("/webhooks"))
    assert "deal.created" in listing
    log = text_of(client.get(f"/webhooks/{hook.id}"))
    assert "deal.created" in log and 'data-status="pending"' in log
    assert post_form(client, f"/webhooks/{hook.id}/delete").status_code == 302
    assert "No webhooks yet" in text_of(client.get("/webhooks"))
    assert client.get(f"/webhooks/{hook.id}").status_code == 404
