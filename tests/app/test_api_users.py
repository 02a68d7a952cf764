"""Partner users over the API: one partner each, unique emails, who may list and add them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
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


@pytest.fixture(autouse=True)
def fast_hash(monkeypatch: pytest.MonkeyPatch, password_hash: str) -> None:
    monkeypatch.setattr("prm_domain.users.hash_password", lambda _plain: password_hash)


def new_user(**kw: Any) -> dict[str, Any]:
    return {
        "email": "New.Person@Example.COM",
        "password": "a-long-password",
        "display_name": "New Person",
        "role": "partner_user",
    } | kw


def test_partner_admin_adds_a_user_to_own_partner(
    make_user: Callable[..., User], api_as: Any, session: Session
) -> None:
    admin = make_user(Role.PARTNER_ADMIN)
    r = api_as(admin).post(f"/api/v1/partners/{admin.partner_id}/users", new_user())
    assert r.status_code == 201, r.json
    u = r.json
    assert u["email"] == "new.person@example.com"  # stored case-folded
    assert u["partner_id"] == admin.partner_id
    assert u["role"] == "partner_user"
    assert u["active"] is True
    assert u["last_sign_in_at"] is None
    assert "password" not in u and "password_hash" not in u
    event = session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
    assert event is not None
    assert (event.action, event.actor_id, event.object_id) == ("user.created", admin.id, u["id"])
    assert event.partner_id == admin.partner_id
    assert event.changes == {"email": "new.person@example.com", "role": "partner_user"}
    assert "a-long-password" not in str(event.changes)

    listed = api_as(admin).get(f"/api/v1/partners/{admin.partner_id}/users").json
    assert [x["id"] for x in listed["items"]] == [admin.id, u["id"]]
    assert listed["total"] == 2


def test_new_users_token_shows_their_partner(
    make_user: Callable[..., User], api_as: Any, session: Session
) -> None:
    admin = make_user(Role.PARTNER_ADMIN)
    r = api_as(admin).post(
        f"/api/v1/partners/{admin.partner_id}/users", new_user(role="partner_admin")
    )
    created = session.get(User, r.json["id"])
    me = api_as(created).get("/api/v1/me").json
    assert (me["role"], me["partner_id"]) == ("partner_admin", admin.partner_id)


@pytest.mark.parametrize(
    "email",
    ["new.person@example.com", "NEW.PERSON@EXAMPLE.COM", "  New.Person@example.com  "],
)
def test_emails_are_unique_case_insensitively_across_partners(
    email: str,
    make_user: Callable[..., User],
    make_partner: Callable[..., Partner],
    api_as: Any,
    session: Session,
) -> None:
    make_user(Role.VENDOR_ADMIN, email="new.person@example.com")
    api = api_as(make_user(Role.CHANNEL_MANAGER))
    other = make_partner()
    before = snapshot(session)
    r = api.post(f"/api/v1/partners/{other.id}/users", new_user(email=email))
    assert r.status_code == 409, r.json
    assert r.json["error"]["fields"] == {"email": "already used"}
    assert snapshot(session) == before


def test_partner_admin_cannot_learn_who_has_an_account_elsewhere(
    make_user: Callable[..., User],
    make_partner: Callable[..., Partner],
    api_as: Any,
    session: Session,
) -> None:
    """Another tenant's member, vendor staff and a free address that fails only for being
    taken all get one neutral answer: no 409, no "exists", nothing written."""
    admin = make_user(Role.PARTNER_ADMIN)
    elsewhere = make_user(Role.PARTNER_USER, partner=make_partner())
    staff = make_user(Role.VENDOR_ADMIN)
    api = api_as(admin)
    before = snapshot(session)
    answers = set()
    for email in (elsewhere.email, staff.email.upper()):
        r = api.post(f"/api/v1/partners/{admin.partner_id}/users", new_user(email=email))
        assert r.status_code == 422, r.json
        body = r.get_data(as_text=True)
        assert "exist" not in body and "already" not in body
        answers.add(body)
    assert len(answers) == 1
    assert snapshot(session) == before
    # Their own members are theirs to know about.
    mine = make_user(Role.PARTNER_USER, partner=admin.partner)
    r = api.post(f"/api/v1/partners/{admin.partner_id}/users", new_user(email=mine.email))
    assert r.status_code == 409 and r.json["error"]["fields"] == {"email": "already a member"}


def test_trying_addresses_that_have_accounts_elsewhere_is_limited(
    app: Any, make_user: Callable[..., User], make_partner: Callable[..., Partner], api_as: Any
) -> None:
    """Each neutral refusal still says "some account has this address": a list of addresses
    cannot be tried at speed. The actor waits; other admins are not affected."""
    app.config["USER_ADD_REFUSAL_LIMIT"] = "3 per hour"
    admin = make_user(Role.PARTNER_ADMIN)
    elsewhere = [make_user(Role.PARTNER_USER, partner=make_partner()) for _ in range(4)]
    api = api_as(admin)
    path = f"/api/v1/partners/{admin.partner_id}/users"
    answers = [api.post(path, new_user(email=u.email)).status_code for u in elsewhere]
    assert answers == [422, 422, 422, 429]
    assert api.post(path, new_user()).status_code == 429  # the actor waits out the window
    other = make_user(Role.PARTNER_ADMIN)
    r = api_as(other).post(f"/api/v1/partners/{other.partner_id}/users", new_user())
    assert r.status_code == 201


def test_more_admins_do_not_multiply_the_address_probes(
    app: Any,
    make_user: Callable[..., User],
    make_partner: Callable[..., Partner],
    api_as: Any,
    session: Session,
) -> None:
    """The limit is the organisation's: an admin who creates more admins (over the API, the
    way an attacker would) shares one count with them."""
    app.config["USER_ADD_REFUSAL_LIMIT"] = "3 per hour"
    admin = make_user(Role.PARTNER_ADMIN)
    path = f"/api/v1/partners/{admin.partner_id}/users"
    api = api_as(admin)
    helpers = []
    for n in range(2):
        r = api.post(path, new_user(email=f"helper{n}@example.com", role="partner_admin"))
        assert r.status_code == 201, r.json
        helpers.append(r.json["id"])
    elsewhere = [make_user(Role.PARTNER_USER, partner=make_partner()) for _ in range(6)]
    answers = [api.post(path, new_user(email=u.email)).status_code for u in elsewhere[:2]]
    for n, helper_id in enumerate(helpers):
        helper = api_as(session.get(User, helper_id))
        answers.append(helper.post(path, new_user(email=elsewhere[2 + n].email)).status_code)
    assert answers == [422, 422, 422, 429]
    assert api.post(path, new_user(email=elsewhere[5].email)).status_code == 429


@pytest.mark.parametrize("role", ["vendor_admin", "channel_manager", "marketing_manager", "boss"])
def test_partner_users_cannot_get_vendor_roles(
    role: str, make_user: Callable[..., User], api_as: Any, session: Session
) -> None:
    api = api_as(make_user(Role.VENDOR_ADMIN))
    partner_id = make_user(Role.PARTNER_ADMIN).partner_id
    before = snapshot(session)
    r = api.post(f"/api/v1/partners/{partner_id}/users", new_user(role=role))
    assert r.status_code == 422
    assert set(r.json["error"]["fields"]) == {"role"}
    assert snapshot(session) == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@b"}, "email"),
        ({"email": "a b@example.com"}, "email"),
        ({"email": "a\x00b@example.com"}, "email"),
        ({"email": "x" * 250 + "@example.com"}, "email"),
        ({"email": "İ" * 200 + "@example.com"}, "email"),  # lower() makes it 412 long
        ({"password": "short"}, "password"),
        ({"display_name": ""}, "display_name"),
        ({"display_name": "bell\x07"}, "display_name"),
        ({"partner_id": 5}, "partner_id"),
        ({"active": False}, "active"),
    ],
)
def test_bad_user_fields_are_422(
    change: dict[str, Any],
    field: str,
    make_user: Callable[..., User],
    api_as: Any,
    session: Session,
) -> None:
    admin = make_user(Role.PARTNER_ADMIN)
    api = api_as(admin)
    before = snapshot(session)
    r = api.post(f"/api/v1/partners/{admin.partner_id}/users", new_user(**change))
    assert r.status_code == 422, r.json
    assert field in r.json["error"]["fields"]
    assert snapshot(session) == before


@pytest.mark.parametrize(
    ("role", "list_status", "add_status"),
    [
        (Role.VENDOR_ADMIN, 200, 201),
        (Role.CHANNEL_MANAGER, 200, 201),
        (Role.MARKETING_MANAGER, 200, 403),
    ],
)
def test_vendor_roles_on_any_partners_users(
    role: Role,
    list_status: int,
    add_status: int,
    make_user: Callable[..., User],
    api_as: Any,
) -> None:
    member = make_user(Role.PARTNER_USER)
    api = api_as(make_user(role))
    r = api.get(f"/api/v1/partners/{member.partner_id}/users")
    assert r.status_code == list_status
    assert [u["id"] for u in r.json["items"]] == [member.id]
    r = api.post(f"/api/v1/partners/{member.partner_id}/users", new_user())
    assert r.status_code == add_status, r.json


def test_partner_user_may_neither_list_nor_add(
    make_user: Callable[..., User], api_as: Any, session: Session
) -> None:
    member = make_user(Role.PARTNER_USER)
    api = api_as(member)
    before = snapshot(session)
    assert api.get(f"/api/v1/partners/{member.partner_id}/users").status_code == 403
    assert api.post(f"/api/v1/partners/{member.partner_id}/users", new_user()).status_code == 403
    assert snapshot(session) == before


def test_users_list_pages(make_user: Callable[..., User], api_as: Any) -> None:
    admin = make_user(Role.PARTNER_ADMIN)
    for _ in range(4):
        make_user(Role.PARTNER_USER, admin.partner)
    api = api_as(admin)
    r = api.get(f"/api/v1/partners/{admin.partner_id}/users?per_page=2&page=3").json
    assert (len(r["items"]), r["total"], r["page"]) == (1, 5, 3)


def test_users_of_missing_partner_are_404(make_user: Callable[..., User], api_as: Any) -> None:
    api = api_as(make_user(Role.VENDOR_ADMIN))
    assert api.get("/api/v1/partners/2000000000/users").status_code == 404
    assert api.post("/api/v1/partners/2000000000/users", new_user()).status_code == 404
