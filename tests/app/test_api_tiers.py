"""Tiers over the API: percentages are Decimal end to end; only vendor admins change them."""

from __future__ import annotations

import decimal
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from prm_domain.enums import Role
from prm_domain.models import ApiToken, AuditEvent, Partner, Tier, User

TABLES = (Partner, User, Tier, AuditEvent, ApiToken)


def snapshot(session: Session) -> dict[str, list[Any]]:
    out = {}
    for model in TABLES:
        table = model.__table__
        rows = session.execute(select(table).order_by(*table.primary_key.columns)).all()
        out[table.name] = [tuple(r) for r in rows]
    return out


@pytest.fixture
def admin(make_user: Callable[..., User], api_as: Any) -> Any:
    return api_as(make_user(Role.VENDOR_ADMIN))


def tier_body(**kw: Any) -> dict[str, Any]:
    return {
        "name": "Platinum",
        "rank": 40,
        "description": "Top",
        "mdf_share_percent": "2.50",
        "discount_percent": "12.05",
        "content_access": ["standard", "premium"],
    } | kw


def stored_percent(session: Session, tier_id: int) -> tuple[Any, Any]:
    row = session.execute(
        text("SELECT mdf_share_percent, discount_percent FROM tier WHERE id = :id"), {"id": tier_id}
    ).one()
    return row[0], row[1]


def test_percentages_round_trip_exactly_as_strings(admin: Any, session: Session) -> None:
    r = admin.post("/api/v1/tiers", tier_body())
    assert r.status_code == 201, r.json
    assert r.json["mdf_share_percent"] == "2.50"
    assert r.json["discount_percent"] == "12.05"
    got = admin.get(f"/api/v1/tiers/{r.json['id']}").json
    assert (got["mdf_share_percent"], got["discount_percent"]) == ("2.50", "12.05")
    # In the database: exact (NUMERIC on Postgres, text on SQLite), never a float.
    mdf, discount = stored_percent(session, r.json["id"])
    assert decimal.Decimal(str(mdf)) == decimal.Decimal("2.50")
    assert not isinstance(mdf, float) and not isinstance(discount, float)
    session.expire_all()
    tier = session.get(Tier, r.json["id"])
    assert tier is not None
    assert tier.discount_percent == decimal.Decimal("12.05")
    assert str(tier.mdf_share_percent) == "2.50"
    # And in the audit log as strings.
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "tier.created"))
    assert event is not None
    assert event.changes["mdf_share_percent"] == "2.50"


@pytest.mark.parametrize(
    ("given", "shown"),
    [("0", "0.00"), ("100", "100.00"), ("7.5", "7.50"), ("0.01", "0.01"), ("99.99", "99.99")],
)
def test_percent_forms_that_are_accepted(given: str, shown: str, admin: Any) -> None:
    r = admin.post("/api/v1/tiers", tier_body(discount_percent=given))
    assert r.status_code == 201, r.json
    assert r.json["discount_percent"] == shown


def test_bad_percentages_are_422_and_store_nothing(admin: Any, session: Session) -> None:
    before = snapshot(session)
    for bad in (12.345, "12.345", "100.01", "-0.01", "-1", "NaN", "Infinity", "1e400", "abc",
                "", True, None, [], {"v": 1}):  # fmt: skip
        r = admin.post("/api/v1/tiers", tier_body(mdf_share_percent=bad))
        assert r.status_code == 422, (bad, r.json)
        assert set(r.json["error"]["fields"]) == {"mdf_share_percent"}, (bad, r.json)
    assert snapshot(session) == before


def test_bad_tier_fields_are_422(admin: Any, session: Session) -> None:
    before = snapshot(session)
    for change, field in [
        ({"name": ""}, "name"),
        ({"name": "a\x00"}, "name"),
        ({"rank": -1}, "rank"),
        ({"rank": 1001}, "rank"),
        ({"rank": "1"}, "rank"),
        ({"rank": 1.5}, "rank"),
        ({"content_access": "standard"}, "content_access"),
        ({"content_access": ["x"] * 21}, "content_access"),
        ({"color": "gold"}, "color"),
    ]:
        r = admin.post("/api/v1/tiers", tier_body(**change))
        assert r.status_code == 422, (change, r.json)
        assert field in r.json["error"]["fields"], (change, r.json)
    assert snapshot(session) == before


def test_tier_conflicts(admin: Any, make_tier: Callable[..., Tier], session: Session) -> None:
    existing = make_tier(name="Gold", rank=10)
    before = snapshot(session)
    r = admin.post("/api/v1/tiers", tier_body(name="gOLD", rank=11))
    assert (r.status_code, r.json["error"]["fields"]) == (409, {"name": "already used"})
    r = admin.post("/api/v1/tiers", tier_body(name="Other", rank=10))
    assert (r.status_code, r.json["error"]["fields"]) == (409, {"rank": "already used"})
    other = make_tier()
    before = snapshot(session)
    r = admin.patch(f"/api/v1/tiers/{other.id}", {"rank": existing.rank})
    assert r.status_code == 409
    # Its own name and rank are no conflict.
    r = admin.patch(f"/api/v1/tiers/{other.id}", {"name": other.name, "rank": other.rank})
    assert r.status_code == 200
    assert snapshot(session) == before


def test_patch_tier_is_audited_with_exact_decimals(
    admin: Any, make_tier: Callable[..., Tier], session: Session
) -> None:
    tier = make_tier(mdf_share_percent=decimal.Decimal("2.50"))
    r = admin.patch(f"/api/v1/tiers/{tier.id}", {"mdf_share_percent": "3.75", "rank": tier.rank})
    assert r.status_code == 200, r.json
    assert r.json["mdf_share_percent"] == "3.75"
    event = session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
    assert event is not None
    assert event.action == "tier.updated"
    assert event.changes == {"mdf_share_percent": ["2.50", "3.75"]}
    # "2.5" is the same value as "2.50": no change, no event.
    count = len(snapshot(session)["audit_event"])
    r = admin.patch(f"/api/v1/tiers/{tier.id}", {"mdf_share_percent": "3.750"})
    assert r.status_code == 200
    assert len(snapshot(session)["audit_event"]) == count


def test_patch_null_is_422(admin: Any, make_tier: Callable[..., Tier], session: Session) -> None:
    tier = make_tier()
    before = snapshot(session)
    r = admin.patch(f"/api/v1/tiers/{tier.id}", {"name": None, "discount_percent": None})
    assert r.status_code == 422
    assert set(r.json["error"]["fields"]) == {"name", "discount_percent"}
    assert snapshot(session) == before


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.VENDOR_ADMIN], ids=str)
def test_only_vendor_admins_manage_tiers(
    role: Role,
    make_user: Callable[..., User],
    make_tier: Callable[..., Tier],
    api_as: Any,
    session: Session,
) -> None:
    tier = make_tier()
    api = api_as(make_user(role))
    before = snapshot(session)
    assert api.post("/api/v1/tiers", tier_body()).status_code == 403
    assert api.patch(f"/api/v1/tiers/{tier.id}", {"name": "Mine"}).status_code == 403
    assert snapshot(session) == before
    # Everyone signed in reads the programme.
    assert api.get(f"/api/v1/tiers/{tier.id}").status_code == 200
    assert api.get("/api/v1/tiers").status_code == 200


def test_tiers_list_by_rank_and_pages(admin: Any, make_tier: Callable[..., Tier]) -> None:
    make_tier(name="C", rank=30)
    make_tier(name="A", rank=10)
    make_tier(name="B", rank=20)
    r = admin.get("/api/v1/tiers").json
    assert [t["name"] for t in r["items"]] == ["A", "B", "C"]
    assert r["total"] == 3
    r = admin.get("/api/v1/tiers?per_page=2&page=2").json
    assert ([t["name"] for t in r["items"]], r["total"], r["page"]) == (["C"], 3, 2)
    assert admin.get("/api/v1/tiers?per_page=201").status_code == 422


def test_missing_tier_is_404(admin: Any) -> None:
    assert admin.get("/api/v1/tiers/2000000000").status_code == 404
    assert admin.patch("/api/v1/tiers/2000000000", {"name": "x"}).status_code == 404
