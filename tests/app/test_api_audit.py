"""The audit log over the API: who changed what, newest first, only for roles that may read it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from prm_domain.enums import Role
from prm_domain.models import Partner, User


@pytest.mark.parametrize("role", [Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER], ids=str)
def test_audit_shows_who_changed_what_newest_first(
    role: Role, make_user: Callable[..., User], make_partner: Callable[..., Partner], api_as: Any
) -> None:
    partner = make_partner(name="Old Name")
    actor = make_user(role)
    api = api_as(actor)
    assert api.patch(f"/api/v1/partners/{partner.id}", {"name": "New Name"}).status_code == 200
    assert api.patch(f"/api/v1/partners/{partner.id}", {"status": "exited"}).status_code == 200

    r = api.get("/api/v1/audit")
    assert r.status_code == 200
    items = r.json["items"]
    assert [i["action"] for i in items[:3]] == [
        "partner.updated",
        "partner.updated",
        "token.issued",
    ]
    newest, older = items[0], items[1]
    assert newest["changes"] == {"status": ["active", "exited"]}
    assert older["changes"] == {"name": ["Old Name", "New Name"]}
    for event in (newest, older):
        assert event["actor_id"] == actor.id
        assert event["actor_email"] == actor.email
        assert event["object_type"] == "partner"
        assert event["object_id"] == partner.id
        assert event["partner_id"] == partner.id
        assert dt.datetime.fromisoformat(event["at"]).tzinfo is not None
    assert [i["id"] for i in items] == sorted((i["id"] for i in items), reverse=True)


def test_audit_pages(make_user: Callable[..., User], api_as: Any) -> None:
    admin = make_user(Role.VENDOR_ADMIN)
    api = api_as(admin)
    for _ in range(4):
        api_as(admin)  # each token issued is an event
    first = api.get("/api/v1/audit?per_page=2").json
    second = api.get("/api/v1/audit?per_page=2&page=2").json
    assert first["total"] == second["total"] == 5
    assert len(first["items"]) == len(second["items"]) == 2
    assert first["items"][-1]["id"] > second["items"][0]["id"]


@pytest.mark.parametrize(
    "role", [Role.MARKETING_MANAGER, Role.PARTNER_ADMIN, Role.PARTNER_USER], ids=str
)
def test_roles_without_audit_right_get_403(
    role: Role, make_user: Callable[..., User], api_as: Any
) -> None:
    r = api_as(make_user(role)).get("/api/v1/audit")
    assert r.status_code == 403
    assert r.json["error"]["code"] == "forbidden"


def test_audit_has_no_write_routes(make_user: Callable[..., User], api_as: Any) -> None:
    api = api_as(make_user(Role.VENDOR_ADMIN))
    assert api.post("/api/v1/audit", {"action": "forged"}).status_code == 405
    assert api.delete("/api/v1/audit").status_code == 405
    assert api.patch("/api/v1/audit/1", {}).status_code == 404
