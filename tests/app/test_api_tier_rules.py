"""The tier rules API: requirements (vendor sets, everyone reads), a partner's progress and
history (own, or any for the vendor), evaluation on demand, field errors, partner status, and
the nightly task."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from prm_domain import tier_rules
from prm_domain.base import utcnow
from prm_domain.enums import DealStatus, PartnerStatus, Role
from prm_domain.models import DealRegistration, Partner, Tier, User
from tests.app.test_api_tenancy import fast_hash  # noqa: F401 - a fixture


@pytest.fixture
def world(
    session: Session,
    make_tier: Callable[..., Tier],
    make_partner: Callable[..., Partner],
    make_user: Callable[..., User],
) -> dict[str, Any]:
    registered, silver = make_tier(name="Registered", rank=1), make_tier(name="Silver", rank=2)
    a = make_partner(name="Alpha Tiers Ltd", tier=registered)
    b = make_partner(name="Bravo Tiers Ltd", tier=registered)
    w = {
        "registered": registered,
        "silver": silver,
        "a": a,
        "b": b,
        "vendor": make_user(Role.VENDOR_ADMIN),
        "manager": make_user(Role.CHANNEL_MANAGER),
        "a_admin": make_user(Role.PARTNER_ADMIN, a),
        "a_user": make_user(Role.PARTNER_USER, a),
    }
    session.commit()
    return w


def _won(session: Session, partner: Partner, value: str) -> None:
    session.add(
        DealRegistration(
            partner_id=partner.id,
            company=f"Won {value}",
            contact_name="Ada",
            contact_email="ada@customer.example",
            country="DE",
            estimated_value=Decimal(value),
            expected_close=dt.date(2027, 1, 1),
            status=DealStatus.WON,
            decided_at=utcnow() - dt.timedelta(days=2),
        )
    )
    session.commit()


RULES = {"min_revenue": "40000.00", "min_certified": {"sales": 1}, "grace_days": 14}


def test_vendor_sets_requirements_and_everyone_reads_them(
    world: dict[str, Any], api_as: Any
) -> None:
    vendor, partner = api_as(world["vendor"]), api_as(world["a_user"])
    url = f"/api/v1/tiers/{world['silver'].id}/requirements"
    before = partner.get(url)
    assert before.status_code == 200 and before.json["evaluated"] is False
    r = vendor.request("PUT", url, RULES)
    assert r.status_code == 200, r.json
    assert r.json == {
        "tier_id": world["silver"].id,
        "tier_name": "Silver",
        "evaluated": True,
        "min_revenue": "40000.00",
        "min_deals_won": 0,
        "min_certified": {"sales": 1},
        "grace_days": 14,
    }
    assert partner.get(url).json == r.json
    refused = partner.request("PUT", url, RULES | {"min_revenue": "1.00"})
    assert refused.status_code == 403
    assert api_as(world["manager"]).request("PUT", url, RULES).status_code == 403
    assert vendor.get("/api/v1/tiers/2000000000/requirements").status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"min_revenue": 40000}, "min_revenue"),
        ({"min_revenue": "4e4"}, "min_revenue"),
        ({"min_revenue": "40000.001"}, "min_revenue"),
        ({"min_revenue": "9999999999999.00"}, "min_revenue"),
        ({"min_certified": {"marketing": 1}}, "min_certified.marketing"),
        ({"min_certified": {"sales": -1}}, "min_certified.sales"),
        ({"grace_days": 366}, "grace_days"),
        ({"grace_days": "30"}, "grace_days"),
        ({"min_deals_won": True}, "min_deals_won"),
        ({"colour": "silver"}, "colour"),
    ],
)
def test_bad_requirements_name_the_field(
    world: dict[str, Any], api_as: Any, change: dict[str, Any], field: str
) -> None:
    url = f"/api/v1/tiers/{world['silver'].id}/requirements"
    r = api_as(world["vendor"]).request("PUT", url, RULES | change)
    assert r.status_code == 422, r.json
    assert field in r.json["error"]["fields"], r.json
    assert api_as(world["vendor"]).get(url).json["evaluated"] is False  # nothing written


def test_progress_history_and_evaluation(
    world: dict[str, Any], api_as: Any, session: Session
) -> None:
    vendor = api_as(world["vendor"])
    vendor.request(
        "PUT", f"/api/v1/tiers/{world['silver'].id}/requirements", {"min_revenue": "40000.00"}
    )
    _won(session, world["a"], "32000.00")
    a = world["a"]
    admin = api_as(world["a_admin"])
    progress = admin.get(f"/api/v1/partners/{a.id}/tier-progress")
    assert progress.status_code == 200, progress.json
    assert progress.json["tier"]["name"] == "Registered"
    assert progress.json["metrics"]["revenue"] == "32000.00"
    assert progress.json["next_tier"]["name"] == "Silver"
    [line] = progress.json["toward_next"]
    assert line == {
        "key": "revenue",
        "label": "Closed-won revenue, last 12 months",
        "have": "32000.00",
        "need": "40000.00",
        "met": False,
        "percent": 80,
    }
    _won(session, a, "8000.00")
    assert admin.post("/api/v1/tiers/evaluate").status_code == 403
    assert api_as(world["manager"]).post("/api/v1/tiers/evaluate").status_code == 403
    r = vendor.post("/api/v1/tiers/evaluate")
    assert r.status_code == 200 and r.json["promoted"] == 1, r.json
    assert vendor.post("/api/v1/tiers/evaluate").json["promoted"] == 0
    history = api_as(world["a_user"]).get(f"/api/v1/partners/{a.id}/tier-history")
    assert history.status_code == 200
    [change] = history.json["items"]
    assert change["kind"] == "promoted" and change["from_tier_name"] == "Registered"
    assert change["to_tier_name"] == "Silver" and change["actor_email"] == "system"
    assert "evaluated on demand" in change["reason"]
    # The vendor reads any partner's; a partner never another's (404 like a missing one).
    assert vendor.get(f"/api/v1/partners/{world['b'].id}/tier-progress").status_code == 200
    for url in ("tier-progress", "tier-history"):
        other = admin.get(f"/api/v1/partners/{world['b'].id}/{url}")
        ghost = admin.get(f"/api/v1/partners/2000000000/{url}")
        assert other.status_code == ghost.status_code == 404
        assert other.get_data() == ghost.get_data()
    bad = vendor.get(f"/api/v1/partners/{a.id}/tier-history?per_page=500")
    assert bad.status_code == 422 and "per_page" in bad.json["error"]["fields"]


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (PartnerStatus.PROSPECT, 200),
        (PartnerStatus.ONBOARDING, 200),
        (PartnerStatus.SUSPENDED, 403),
    ],
)
def test_partner_status_decides_who_reads_progress(
    world: dict[str, Any], api_as: Any, session: Session, status: PartnerStatus, code: int
) -> None:
    api = api_as(world["a_admin"])
    world["a"].status = status
    session.commit()
    for url in ("tier-progress", "tier-history"):
        r = api.get(f"/api/v1/partners/{world['a'].id}/{url}")
        assert r.status_code == code, r.json
        if code == 403:
            assert r.json["error"]["code"] == "partner_suspended"
    r = api.get(f"/api/v1/tiers/{world['silver'].id}/requirements")
    assert r.status_code == code


def test_nightly_task_is_scheduled_and_idempotent(
    app: Flask, world: dict[str, Any], session: Session
) -> None:
    from app.celery_app import schedule
    from app.tasks import evaluate_tiers

    assert schedule(app)["cobrand.evaluate_tiers"] == 24 * 3600.0
    tier_rules.set_requirements(
        session, world["vendor"], world["silver"].id, {"min_revenue": "40000.00"}
    )
    _won(session, world["a"], "41000.00")
    with app.app_context():
        assert evaluate_tiers()[1] == 1
        assert evaluate_tiers()[1:] == [0, 0, 0, 0]
    session.refresh(world["a"])
    assert world["a"].tier_id == world["silver"].id
