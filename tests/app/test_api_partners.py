"""Partners over the API: who may create, read and change what; search, filters, paging."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from prm_domain.enums import PartnerStatus, PartnerType, Region, Role
from prm_domain.models import ApiToken, AuditEvent, Partner, Tier, User

TABLES = (Partner, User, Tier, AuditEvent, ApiToken)


def snapshot(session: Session) -> dict[str, list[Any]]:
    out = {}
    for model in TABLES:
        table = model.__table__
        rows = session.execute(select(table).order_by(*table.primary_key.columns)).all()
        out[table.name] = [tuple(r) for r in rows]
    return out


def last_event(session: Session) -> AuditEvent:
    session.expire_all()
    event = session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
    assert event is not None
    return event


def body(tier: Tier, **kw: Any) -> dict[str, Any]:
    return {
        "name": "Acme Networks",
        "type": "reseller",
        "tier_id": tier.id,
        "country": "de",
        "region": "EMEA",
    } | kw


# --- create -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER], ids=str)
def test_managers_create_partners_and_it_is_audited(
    role: Role,
    make_user: Callable[..., User],
    make_tier: Callable[..., Tier],
    api_as: Any,
    session: Session,
) -> None:
    actor, tier = make_user(role), make_tier()
    r = api_as(actor).post(
        "/api/v1/partners",
        body(
            tier,
            name="  Bücher & Co ",
            verticals=["Retail", "Retail", " Books "],
            website_domains=["Bücher.example.", "WWW.Example.com"],
            business_model="resale",
            dpa_signed_on="2024-03-01",
        ),
    )
    assert r.status_code == 201, r.json
    p = r.json
    assert p["name"] == "Bücher & Co"
    assert p["country"] == "DE"
    assert p["tier_id"] == tier.id and p["tier_name"] == tier.name
    assert p["status"] == "prospect"
    assert p["verticals"] == ["Retail", "Books"]
    assert p["website_domains"] == ["xn--bcher-kva.example", "www.example.com"]
    assert p["dpa_signed_on"] == "2024-03-01"
    assert dt.datetime.fromisoformat(p["created_at"]).tzinfo is not None

    event = last_event(session)
    assert (event.action, event.object_type, event.object_id) == (
        "partner.created",
        "partner",
        p["id"],
    )
    assert (event.actor_id, event.actor_email, event.partner_id) == (actor.id, actor.email, p["id"])
    assert event.changes["name"] == "Bücher & Co"
    assert event.changes["tier_id"] == tier.id
    assert event.changes["dpa_signed_on"] == "2024-03-01"
    assert "name_key" not in event.changes


@pytest.mark.parametrize(
    "role", [Role.MARKETING_MANAGER, Role.PARTNER_ADMIN, Role.PARTNER_USER], ids=str
)
def test_other_roles_cannot_create_partners(
    role: Role,
    make_user: Callable[..., User],
    make_tier: Callable[..., Tier],
    api_as: Any,
    session: Session,
) -> None:
    api, tier = api_as(make_user(role)), make_tier()
    before = snapshot(session)
    r = api.post("/api/v1/partners", body(tier))
    assert r.status_code == 403
    assert r.json["error"]["code"] == "forbidden"
    assert snapshot(session) == before


# --- read, list, search, filter -------------------------------------------------------------------


@pytest.fixture
def catalogue(
    make_partner: Callable[..., Partner], make_tier: Callable[..., Tier]
) -> dict[str, Any]:
    gold, silver = make_tier(name="Gold"), make_tier(name="Silver")
    return {
        "gold": gold,
        "silver": silver,
        "acme": make_partner(name="Acme IT", tier=gold, country="US", region=Region.NORTH_AMERICA),
        "beta": make_partner(name="Beta 100% Cloud", tier=silver, status=PartnerStatus.PROSPECT),
        "gamma": make_partner(
            name="gamma_net", tier=gold, type=PartnerType.MSP, status=PartnerStatus.SUSPENDED
        ),
        "delta": make_partner(name="Délta Systems", tier=silver, country="FR"),
    }


def names(r: Any) -> list[str]:
    assert r.status_code == 200, r.json
    return [p["name"] for p in r.json["items"]]


@pytest.mark.parametrize("role", [Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER, Role.MARKETING_MANAGER])
def test_vendor_roles_list_all_partners_in_name_order(
    role: Role, catalogue: dict[str, Any], make_user: Callable[..., User], api_as: Any
) -> None:
    r = api_as(make_user(role)).get("/api/v1/partners")
    assert names(r) == ["Acme IT", "Beta 100% Cloud", "Délta Systems", "gamma_net"]
    assert r.json["total"] == 4
    assert (r.json["page"], r.json["per_page"]) == (1, 50)


def test_search_and_filters(
    catalogue: dict[str, Any], make_user: Callable[..., User], api_as: Any
) -> None:
    api = api_as(make_user(Role.MARKETING_MANAGER))
    get = lambda q: names(api.get(f"/api/v1/partners?{q}"))  # noqa: E731
    assert get("q=ACME") == ["Acme IT"]
    assert get("q=  acme  ") == ["Acme IT"]
    assert get("q=délta") == ["Délta Systems"]
    assert get("q=us") == ["Acme IT"]  # a country code
    assert get("q=fr") == ["Délta Systems"]
    # LIKE wildcards in q are literal characters.
    assert get("q=%25") == ["Beta 100% Cloud"]
    assert get("q=_") == ["gamma_net"]
    assert get("q=cm_") == []  # as a wildcard "_" would match "Acme"
    assert get("q=a%25t") == []  # as a wildcard "%" would match "Acme IT"
    assert get("q=nothing-matches") == []
    assert get(f"tier_id={catalogue['gold'].id}") == ["Acme IT", "gamma_net"]
    assert get("status=suspended") == ["gamma_net"]
    assert get("type=msp") == ["gamma_net"]
    assert get("region=NA") == ["Acme IT"]
    assert get(f"tier_id={catalogue['silver'].id}&q=beta&status=prospect") == ["Beta 100% Cloud"]
    assert get(f"tier_id={catalogue['silver'].id}&status=active") == ["Délta Systems"]


def test_paging(catalogue: dict[str, Any], make_user: Callable[..., User], api_as: Any) -> None:
    api = api_as(make_user(Role.VENDOR_ADMIN))
    pages = [api.get(f"/api/v1/partners?per_page=3&page={n}").json for n in (1, 2, 3)]
    assert [len(p["items"]) for p in pages] == [3, 1, 0]
    assert {p["total"] for p in pages} == {4}
    seen = [i["id"] for p in pages for i in p["items"]]
    assert len(seen) == len(set(seen)) == 4
    assert pages[1]["page"] == 2 and pages[1]["per_page"] == 3


def test_get_one_partner(
    catalogue: dict[str, Any], make_user: Callable[..., User], api_as: Any
) -> None:
    acme = catalogue["acme"]
    r = api_as(make_user(Role.MARKETING_MANAGER)).get(f"/api/v1/partners/{acme.id}")
    assert r.status_code == 200
    assert r.json["name"] == "Acme IT"
    assert r.json["tier_name"] == "Gold"
    assert set(r.json) == {
        "id", "name", "type", "tier_id", "tier_name", "country", "region", "verticals",
        "business_model", "website_domains", "status", "dpa_signed_on", "timezone", "created_at",
        "updated_at",
    }  # fmt: skip


def test_missing_partner_is_404(make_user: Callable[..., User], api_as: Any) -> None:
    r = api_as(make_user(Role.VENDOR_ADMIN)).get("/api/v1/partners/2000000000")
    assert r.status_code == 404
    assert r.json["error"]["code"] == "not_found"


# --- change -------------------------------------------------------------------------------------


def test_channel_manager_changes_tier_and_status_audited_as_a_diff(
    make_user: Callable[..., User],
    make_partner: Callable[..., Partner],
    make_tier: Callable[..., Tier],
    api_as: Any,
    session: Session,
) -> None:
    partner, gold = make_partner(), make_tier(name="Gold")
    old_tier = partner.tier
    actor = make_user(Role.CHANNEL_MANAGER)
    r = api_as(actor).patch(
        f"/api/v1/partners/{partner.id}",
        {"tier_id": gold.id, "status": "suspended", "country": "DE", "dpa_signed_on": None},
    )
    assert r.status_code == 200, r.json
    # tier_name follows the new tier in the very response that changed it.
    assert (r.json["tier_id"], r.json["tier_name"]) == (gold.id, "Gold")
    assert r.json["status"] == "suspended"
    event = last_event(session)
    assert event.action == "partner.updated"
    assert event.actor_id == actor.id
    assert event.partner_id == partner.id
    # Only real changes: country and dpa_signed_on were sent unchanged.
    assert event.changes == {
        "tier_id": [old_tier.id, gold.id],
        "status": ["active", "suspended"],
    }
    again = api_as(actor).get(f"/api/v1/partners/{partner.id}").json
    assert again["tier_name"] == "Gold"


def test_patch_without_changes_records_nothing(
    make_user: Callable[..., User],
    make_partner: Callable[..., Partner],
    api_as: Any,
    session: Session,
) -> None:
    partner = make_partner(country="DE")
    api = api_as(make_user(Role.VENDOR_ADMIN))
    before = snapshot(session)["audit_event"]
    r = api.patch(f"/api/v1/partners/{partner.id}", {"country": "de"})
    assert r.status_code == 200
    r = api.patch(f"/api/v1/partners/{partner.id}", {})
    assert r.status_code == 200
    assert snapshot(session)["audit_event"] == before


def test_partner_admin_edits_profile_fields_of_own_organisation(
    make_user: Callable[..., User], api_as: Any, session: Session
) -> None:
    admin = make_user(Role.PARTNER_ADMIN)
    r = api_as(admin).patch(
        f"/api/v1/partners/{admin.partner_id}",
        {"business_model": "managed_services", "website_domains": ["renamed.example"]},
    )
    assert r.status_code == 200, r.json
    assert r.json["business_model"] == "managed_services"
    event = last_event(session)
    assert (event.actor_id, event.action) == (admin.id, "partner.updated")
    assert event.changes["website_domains"] == [[], ["renamed.example"]]
    # business_model may also be cleared again.
    r = api_as(admin).patch(f"/api/v1/partners/{admin.partner_id}", {"business_model": None})
    assert r.status_code == 200 and r.json["business_model"] is None


@pytest.mark.parametrize(
    ("change", "vendor_only"),
    [
        ({"status": "active"}, {"status"}),
        ({"tier_id": "tier"}, {"tier_id"}),
        ({"type": "msp", "region": "APAC"}, {"type", "region"}),
        ({"country": "FR"}, {"country"}),
        ({"dpa_signed_on": "2024-01-01"}, {"dpa_signed_on"}),
        ({"website_domains": [], "tier_id": "tier", "status": "active"}, {"tier_id", "status"}),
        # Content gating (verticals) and names are the vendor's: a partner proposes them.
        ({"verticals": ["Health"]}, {"verticals"}),
        ({"name": "Renamed GmbH"}, {"name"}),
    ],
)
def test_partner_admin_gets_403_naming_vendor_only_fields(
    change: dict[str, Any],
    vendor_only: set[str],
    make_user: Callable[..., User],
    make_tier: Callable[..., Tier],
    api_as: Any,
    session: Session,
) -> None:
    admin, better = make_user(Role.PARTNER_ADMIN), make_tier()
    change = {k: better.id if v == "tier" else v for k, v in change.items()}
    api = api_as(admin)
    before = snapshot(session)
    r = api.patch(f"/api/v1/partners/{admin.partner_id}", change)
    assert r.status_code == 403, r.json
    error = r.json["error"]
    assert error["code"] == "forbidden"
    assert set(error["fields"]) == vendor_only
    for field in vendor_only:
        assert field in error["message"]
    assert snapshot(session) == before


@pytest.mark.parametrize("role", [Role.PARTNER_USER, Role.MARKETING_MANAGER], ids=str)
def test_roles_without_edit_rights_get_403(
    role: Role,
    make_user: Callable[..., User],
    make_partner: Callable[..., Partner],
    api_as: Any,
    session: Session,
) -> None:
    partner = make_partner()
    api = api_as(make_user(role, partner) if not role.is_vendor else make_user(role))
    before = snapshot(session)
    r = api.patch(f"/api/v1/partners/{partner.id}", {"name": "Nope"})
    assert r.status_code == 403
    assert snapshot(session) == before
