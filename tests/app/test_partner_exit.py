"""Exit ends a partner's sessions and API tokens for good; suspension keeps them.

docs/access.md: "exited: sessions and tokens dead". The status gate refuses them while the partner
is exited, but that alone would let them answer again the day the vendor re-activates the partner:
the exit itself ends them (``partners.update_partner`` -> ``auth.end_partner_sessions``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from prm_domain.enums import Role
from prm_domain.models import ApiToken, AuditEvent, Tier, User, UserSession
from tests.conftest import PASSWORD, Api, csrf_of


@pytest.fixture(autouse=True)
def fast_hash(monkeypatch: pytest.MonkeyPatch, password_hash: str) -> None:
    monkeypatch.setattr("prm_domain.users.hash_password", lambda _plain: password_hash)


def _world(
    app: Flask, session: Session, make_user: Callable[..., User], make_tier: Callable[..., Tier]
) -> tuple[Api, int, Api, Any, User]:
    """A vendor creates an active partner and its admin over the API; the admin holds a token
    and a signed-in portal session."""
    vendor_user = make_user(Role.CHANNEL_MANAGER)
    tier = make_tier()
    session.commit()
    client = app.test_client()
    r = client.post("/api/v1/tokens", json={"email": vendor_user.email, "password": PASSWORD})
    assert r.status_code == 201, r.json
    vendor = Api(client, r.json["token"])
    body = {"name": "Exit Test GmbH", "type": "reseller", "tier_id": tier.id}
    r = vendor.post("/api/v1/partners", body | {"country": "de", "region": "EMEA"})
    assert r.status_code == 201, r.json
    partner_id = r.json["id"]
    assert vendor.patch(f"/api/v1/partners/{partner_id}", {"status": "active"}).status_code == 200
    r = vendor.post(
        f"/api/v1/partners/{partner_id}/users",
        {
            "email": "admin@exit-test.example",
            "password": PASSWORD,
            "display_name": "Exit Admin",
            "role": "partner_admin",
        },
    )
    assert r.status_code == 201, r.json
    admin = session.get(User, r.json["id"])
    assert admin is not None
    token_client = app.test_client()
    r = token_client.post("/api/v1/tokens", json={"email": admin.email, "password": PASSWORD})
    assert r.status_code == 201, r.json
    admin_api = Api(token_client, r.json["token"])
    portal = app.test_client()
    portal.get("/sign-in")
    r = portal.post(
        "/sign-in", data={"email": admin.email, "password": PASSWORD, "csrf_token": csrf_of(portal)}
    )
    assert r.status_code == 302, r.get_data(as_text=True)
    assert admin_api.get("/api/v1/me").status_code == 200
    assert portal.get("/library").status_code == 200
    return vendor, partner_id, admin_api, portal, admin


def _live(session: Session, user: User) -> tuple[int, int]:
    session.expire_all()
    tokens = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).all()
    sessions = session.scalars(
        select(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    ).all()
    return len(tokens), len(sessions)


def test_exit_then_reactivation_revives_no_token_or_session(
    app: Flask, session: Session, make_user: Callable[..., User], make_tier: Callable[..., Tier]
) -> None:
    vendor, partner_id, admin_api, portal, admin = _world(app, session, make_user, make_tier)
    r = vendor.patch(f"/api/v1/partners/{partner_id}", {"status": "exited"})
    assert r.status_code == 200, r.json
    assert _live(session, admin) == (0, 0)  # ended in the same write as the exit
    assert admin_api.get("/api/v1/me").status_code == 401
    r = vendor.patch(f"/api/v1/partners/{partner_id}", {"status": "active"})
    assert r.status_code == 200, r.json

    # Back to active: the old token and the old cookie stay dead.
    assert admin_api.get("/api/v1/me").status_code == 401
    assert admin_api.get("/api/v1/assets").status_code == 401
    r = portal.get("/library")
    assert r.status_code == 302 and "/sign-in" in r.headers["Location"]
    assert _live(session, admin) == (0, 0)
    event = session.scalar(
        select(AuditEvent)
        .where(AuditEvent.action == "partner.sessions_ended")
        .order_by(AuditEvent.id.desc())
    )
    assert event is not None and event.partner_id == partner_id and event.changes == {"ended": 2}

    # Its people sign in again with their password and get fresh access.
    r = app.test_client().post("/api/v1/tokens", json={"email": admin.email, "password": PASSWORD})
    assert r.status_code == 201, r.json


def test_exit_through_the_portal_form_ends_them_too(
    app: Flask, session: Session, make_user: Callable[..., User], make_tier: Callable[..., Tier]
) -> None:
    _vendor, partner_id, admin_api, portal, admin = _world(app, session, make_user, make_tier)
    manager = make_user(Role.VENDOR_ADMIN)
    session.commit()
    staff = app.test_client()
    staff.get("/sign-in")
    staff.post(
        "/sign-in",
        data={"email": manager.email, "password": PASSWORD, "csrf_token": csrf_of(staff)},
    )
    tier_id = session.get(User, admin.id).partner.tier_id  # type: ignore[union-attr]

    def edit(status: str) -> None:
        assert staff.get(f"/partners/{partner_id}/edit").status_code == 200
        form = {
            "name": "Exit Test GmbH",
            "type": "reseller",
            "tier_id": str(tier_id),
            "country": "DE",
            "region": "EMEA",
            "status": status,
            "csrf_token": csrf_of(staff),
        }
        r = staff.post(f"/partners/{partner_id}/edit", data=form)
        assert r.status_code == 302, r.get_data(as_text=True)[:400]

    edit("exited")
    edit("active")
    assert admin_api.get("/api/v1/me").status_code == 401
    r = portal.get("/library")
    assert r.status_code == 302 and "/sign-in" in r.headers["Location"]
    assert _live(session, admin) == (0, 0)


def test_suspension_keeps_sessions_and_tokens_and_they_lead_to_the_notice(
    app: Flask, session: Session, make_user: Callable[..., User], make_tier: Callable[..., Tier]
) -> None:
    vendor, partner_id, admin_api, portal, admin = _world(app, session, make_user, make_tier)
    assert (
        vendor.patch(f"/api/v1/partners/{partner_id}", {"status": "suspended"}).status_code == 200
    )
    assert _live(session, admin) == (1, 1)
    r = admin_api.get("/api/v1/assets")
    assert r.status_code == 403 and r.json["error"]["code"] == "partner_suspended"
    assert admin_api.get("/api/v1/me").status_code == 200
    r = portal.get("/library")
    assert r.status_code == 302 and "/account-status" in r.headers["Location"]
    # Re-activated after a suspension: the same token and cookie work again (nothing ended).
    assert vendor.patch(f"/api/v1/partners/{partner_id}", {"status": "active"}).status_code == 200
    assert admin_api.get("/api/v1/assets").status_code == 200
    assert portal.get("/library").status_code == 200
