"""Tier rules in the portal: the vendor's requirements page (field errors in words, evaluate
now, partners close to promotion and in grace), a partner's "Your tier" page; tenancy and
CSRF for every route of the blueprint."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from prm_domain import tier_rules
from prm_domain.base import utcnow
from prm_domain.enums import DealStatus, Role
from prm_domain.models import DealRegistration, TierRequirement
from tests.app.test_portal import (  # noqa: F401 - fast_argon2 and password_hash are fixtures
    fast_argon2,
    password_hash,
    post_form,
    text_of,
)
from tests.app.test_portal_tenancy import snapshot

CROSS_TENANT_CASES: list[tuple[str, str]] = [
    ("/partners/<id:partner_id>/tier", "GET"),
    ("/tier-programme/<id:tier_id>", "POST"),
]
FORM = {
    "min_revenue": "40000.00",
    "min_deals_won": "1",
    "certified_sales": "1",
    "certified_technical": "0",
    "grace_days": "30",
}


@pytest.fixture
def world(make_tier: Any, make_partner: Any, make_user: Any, session: Any) -> dict[str, Any]:
    registered, silver = make_tier(name="Registered", rank=1), make_tier(name="Silver", rank=2)
    a = make_partner(name="Alpha Tier Ltd", tier=registered)
    b = make_partner(name="Bravo Tier Ltd", tier=silver)
    w = {
        "registered": registered,
        "silver": silver,
        "a": a,
        "b": b,
        "vendor": make_user(Role.VENDOR_ADMIN),
        "manager": make_user(Role.CHANNEL_MANAGER),
        "a_admin": make_user(Role.PARTNER_ADMIN, a, display_name="Alpha admin"),
        "a_user": make_user(Role.PARTNER_USER, a),
    }
    session.add(
        DealRegistration(
            partner_id=a.id,
            company="Won customer",
            contact_name="Ada",
            contact_email="ada@customer.example",
            country="DE",
            estimated_value=Decimal("36000.00"),
            expected_close=dt.date(2027, 1, 1),
            status=DealStatus.WON,
            decided_at=utcnow() - dt.timedelta(days=3),
        )
    )
    session.commit()
    return w


def test_vendor_sets_requirements_with_errors_in_words_then_evaluates(
    client: Any, sign_in_as: Any, session: Any, world: dict[str, Any]
) -> None:
    sign_in_as(world["vendor"])
    page = text_of(client.get("/tier-programme"))
    assert "Tier rules" in page and "No partner is within reach" in page
    silver = world["silver"].id
    before = snapshot(session)
    r = post_form(
        client, f"/tier-programme/{silver}", FORM | {"min_revenue": "lots", "grace_days": "-3"}
    )
    assert r.status_code == 422
    body = text_of(r)
    assert "Enter an amount such as 500000.00" in body and "Enter a number of days" in body
    assert "min_revenue" not in body.replace('name="min_revenue"', "")
    assert 'value="lots"' in body  # the typed value stays
    assert snapshot(session) == before
    r = post_form(client, f"/tier-programme/{silver}", FORM | {"min_deals_won": "0"})
    assert r.status_code == 302
    row = session.get(TierRequirement, silver)
    session.refresh(row)
    assert row.min_revenue == Decimal("40000.00") and row.min_certified == {"sales": 1}
    # Alpha: 36,000 of 40,000 revenue, no certified sales person: 45% on average; Bravo on
    # Silver meets nothing: grace.
    r = post_form(client, "/tier-programme/evaluate")
    assert r.status_code == 302
    page = text_of(client.get("/tier-programme"))
    assert "1 entered a grace period" in page
    assert "Bravo Tier Ltd" in page.split("In grace")[1]
    tier_rules.set_requirements(session, world["vendor"], silver, {"min_revenue": "40000.00"})
    session.commit()
    page = text_of(client.get("/tier-programme"))
    close = page.split("Close to promotion")[1].split("In grace")[0]
    assert "Alpha Tier Ltd" in close and "90%" in close
    # A channel manager sees the page but not the forms.
    sign_in_as(world["manager"])
    page = text_of(client.get("/tier-programme"))
    assert "Save requirements" not in page and "Evaluate now" not in page
    assert post_form(client, f"/tier-programme/{silver}", FORM).status_code == 403


def test_partner_sees_its_tier_progress_and_history(
    client: Any, sign_in_as: Any, session: Any, world: dict[str, Any]
) -> None:
    sign_in_as(world["a_user"])
    page = text_of(client.get(f"/partners/{world['a'].id}/tier"))
    assert "no requirements are set" in page and "No tier changes yet" in page
    assert f'href="/partners/{world["a"].id}/tier"' in page  # the menu's "Your tier"
    tier_rules.set_requirements(
        session, world["vendor"], world["silver"].id, {"min_revenue": "40000.00"}
    )
    session.commit()
    page = text_of(client.get(f"/partners/{world['a'].id}/tier"))
    assert "Toward Silver: 90%" in page
    assert "36,000.00</strong> of 40,000.00" in page
    assert '<progress max="100" value="90"' in page
    tier_rules.set_requirements(
        session, world["vendor"], world["silver"].id, {"min_revenue": "30000.00"}
    )
    tier_rules.evaluate_all(session)
    session.commit()
    page = text_of(client.get(f"/partners/{world['a'].id}/tier"))
    assert "data-tier>Silver<" in page and "Promoted" in page
    assert "Automatic evaluation" in page
    assert client.get("/tier-programme").status_code == 404


def test_routes_with_ids_refuse_other_tenants_and_partners(
    client: Any, sign_in_as: Any, session: Any, world: dict[str, Any]
) -> None:
    calls = {
        ("/partners/<id:partner_id>/tier", "GET"): lambda: client.get(
            f"/partners/{world['b'].id}/tier"
        ),
        ("/tier-programme/<id:tier_id>", "POST"): lambda: post_form(
            client, f"/tier-programme/{world['silver'].id}", FORM
        ),
    }
    assert set(calls) == set(CROSS_TENANT_CASES)
    for who in ("a_admin", "a_user"):
        sign_in_as(world[who])
        before = snapshot(session)
        for key, call in calls.items():
            r = call()
            assert r.status_code == 404, (who, key)
            assert "Bravo Tier Ltd" not in text_of(r)
        assert post_form(client, "/tier-programme/evaluate").status_code == 404
        assert snapshot(session) == before
    # The own tenant's page works (the case reaches a real route).
    assert client.get(f"/partners/{world['a'].id}/tier").status_code == 200


def test_cross_tenant_cases_cover_every_route_with_an_id(app: Any) -> None:
    rules = {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("portal_tiers.") and rule.arguments
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert rules == set(CROSS_TENANT_CASES)


def test_every_post_route_refuses_a_missing_csrf_token(
    client: Any, sign_in_as: Any, session: Any, world: dict[str, Any], app: Any
) -> None:
    paths = {
        "portal_tiers.requirements_save": f"/tier-programme/{world['silver'].id}",
        "portal_tiers.evaluate": "/tier-programme/evaluate",
    }
    posts = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("portal_tiers.") and "POST" in rule.methods
    }
    assert posts == set(paths)
    tier_rules.set_requirements(
        session, world["vendor"], world["silver"].id, {"min_revenue": "1.00"}
    )
    session.commit()
    sign_in_as(world["vendor"])
    client.get("/")
    for endpoint, path in paths.items():
        before = snapshot(session)
        assert client.post(path, data=FORM).status_code == 400, endpoint
        assert client.post(path, data=FORM | {"csrf_token": "forged"}).status_code == 400
        assert snapshot(session) == before, endpoint
        assert post_form(client, path, FORM).status_code == 302, endpoint
