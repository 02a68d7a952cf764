"""Portal security: CSRF on every form, sign-in (errors, open redirects, deactivation), security
headers and session cookie flags."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask

from prm_domain.enums import Role
from prm_domain.models import User
from tests.app.test_portal import (  # noqa: F401 - fast_argon2 and password_hash are fixtures
    Page,
    all_pages,
    fast_argon2,
    partner_form,
    password_hash,
    post_form,
    text_of,
)
from tests.app.test_portal_tenancy import portal_rules, snapshot
from tests.conftest import PASSWORD, csrf_of


def build_app(engine: Any, session_factory: Any, tmp_path: Path, **config: Any) -> Flask:
    """An app like conftest's ``app``, with extra config, on the test's transaction."""
    from app import create_app

    flask_app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": engine.url.render_as_string(hide_password=False),
            "REDIS_URL": None,
            "TASKS_INLINE": True,
            "STORAGE_DIR": str(tmp_path / "storage"),
            **config,
        }
    )
    database = flask_app.extensions["cobrand.db"]
    database.engine.dispose()
    database.engine = engine
    database.sessionmaker = session_factory
    return flask_app


def sign_in(client: Any, user: User, password: str = PASSWORD, **extra: str) -> Any:
    client.get("/sign-in")
    return client.post(
        "/sign-in",
        data={"email": user.email, "password": password, "csrf_token": csrf_of(client), **extra},
    )


def signed_in_uid(client: Any) -> Any:
    with client.session_transaction() as s:
        return s.get("uid")


# --- CSRF on every form --------------------------------------------------------------------------


@dataclass
class World:
    admin: User
    partner: Any
    member: User
    tier: Any
    partner_admin: User
    proposal: Any
    channel: int = 0  # the partner's X channel


@pytest.fixture
def world(make_user, make_partner, make_tier, session) -> World:
    from prm_domain import partner_changes

    tier = make_tier()
    partner = make_partner(tier=tier)
    partner_admin = make_user(Role.PARTNER_ADMIN, partner=partner)
    proposal = partner_changes.propose_partner_change(
        session, partner_admin, partner.id, {"verticals": ["Energy"]}
    )
    from prm_domain.models.channel import Channel

    channel = Channel(partner_id=partner.id, kind="x", account="12")
    session.add(channel)
    session.commit()
    return World(
        make_user(Role.VENDOR_ADMIN),
        partner,
        make_user(Role.PARTNER_USER, partner=partner),
        tier,
        partner_admin,
        proposal,
        channel.id,
    )


@dataclass
class FormCase:
    path: Callable[[World], str]
    data: Callable[[World], dict[str, str]]
    anonymous: bool = False
    by_partner_admin: bool = False  # a partner's own form; else the vendor admin posts it
    # A form whose answer is a page (a one-time link shown once, never put in a redirect).
    success: tuple[int, ...] = (302, 204)


CSRF_CASES: dict[str, FormCase] = {
    "/sign-in": FormCase(
        lambda w: "/sign-in",
        lambda w: {"email": w.admin.email, "password": PASSWORD},
        anonymous=True,
    ),
    "/sign-out": FormCase(lambda w: "/sign-out", lambda w: {}),
    "/channels/<id:channel_id>/delete": FormCase(
        lambda w: f"/channels/{w.channel}/delete", lambda w: {}, by_partner_admin=True
    ),
    # Starts the OAuth flow: writes only the session (state, PKCE verifier), then redirects.
    "/channels/connect/<any(linkedin, x):kind>": FormCase(
        lambda w: "/channels/connect/x", lambda w: {}, by_partner_admin=True
    ),
    "/channels/add/<any(smtp, webhook):service>": FormCase(
        lambda w: "/channels/add/webhook",
        lambda w: {"url": "https://hooks.walker.example/in", "secret": "s" * 20},
        by_partner_admin=True,
    ),
    "/account/password": FormCase(
        lambda w: "/account/password",
        lambda w: {"current_password": PASSWORD, "new_password": "a-new-long-password"},
    ),
    "/visits": FormCase(lambda w: "/visits", lambda w: {}),
    "/partners/new": FormCase(lambda w: "/partners/new", lambda w: partner_form(w.tier)),
    "/partners/<id:partner_id>/edit": FormCase(
        lambda w: f"/partners/{w.partner.id}/edit",
        lambda w: partner_form(w.tier, name="Edited " + uuid.uuid4().hex[:4]),
    ),
    "/partners/<id:partner_id>/users": FormCase(
        lambda w: f"/partners/{w.partner.id}/users",
        lambda w: {
            "email": f"csrf-{uuid.uuid4().hex[:6]}@example.com",
            "password": "a-long-password",
            "display_name": "Via form",
            "role": "partner_user",
        },
    ),
    "/users/<id:user_id>/active": FormCase(
        lambda w: f"/users/{w.member.id}/active", lambda w: {"active": "0"}
    ),
    "/users/<id:user_id>/invitation": FormCase(
        lambda w: f"/users/{w.member.id}/invitation", lambda w: {}, success=(200,)
    ),
    "/partners/<id:partner_id>/change-requests": FormCase(
        lambda w: f"/partners/{w.partner.id}/change-requests",
        lambda w: {"region": "APAC", "note": "We moved"},
        by_partner_admin=True,
    ),
    "/partner-change-requests/<id:request_id>/decide": FormCase(
        lambda w: f"/partner-change-requests/{w.proposal.id}/decide",
        lambda w: {"decision": "approve"},
    ),
    "/tiers": FormCase(
        lambda w: "/tiers",
        lambda w: {
            "name": "CSRF tier",
            "rank": "42",
            "mdf_share_percent": "1",
            "discount_percent": "2",
        },
    ),
}


# Feature blueprints whose own test module walks all their POST routes for CSRF.
CSRF_CHECKED_ELSEWHERE = {
    "portal_library.": "test_portal_library.py::test_every_post_route_refuses_a_missing_csrf_token",
    "portal_syndication.": "test_portal_syndication.py (the same test)",
    "portal_campaigns.": "test_portal_campaigns.py (the same test)",
    "portal_mdf.": "test_portal_mdf.py (the same test)",
    "portal_leads.": "test_portal_leads.py (the same test)",
    "portal_training.": "test_portal_training.py (the same test)",
    "portal_deals.": "test_portal_deals.py (the same test)",
    "portal_tiers.": "test_portal_tiers.py (the same test)",
}


def test_every_portal_form_route_has_a_csrf_case(app):
    posting = {
        rule.rule
        for rule in portal_rules(app)
        if {"POST", "PUT", "PATCH", "DELETE"} & rule.methods
        and not rule.endpoint.startswith(tuple(CSRF_CHECKED_ELSEWHERE))
    }
    assert posting == set(CSRF_CASES), (
        "add a case to CSRF_CASES for each portal route that changes state"
    )


@pytest.mark.parametrize("rule", sorted(CSRF_CASES))
def test_post_without_csrf_token_is_refused_and_changes_nothing(client, session, world, rule):
    case = CSRF_CASES[rule]
    actor = world.partner_admin if case.by_partner_admin else world.admin
    if not case.anonymous:
        assert sign_in(client, actor).status_code == 302
    client.get("/sign-in" if case.anonymous else "/")  # a page: the session holds a token now
    own_token = csrf_of(client)
    before = snapshot(session)
    for token in (None, "", "wrong", own_token[:-1], own_token + "x"):
        data = case.data(world) | ({} if token is None else {"csrf_token": token})
        r = client.post(case.path(world), data=data)
        assert r.status_code == 400, (rule, token, r.status_code)
        assert "did not come from this site" in text_of(r)
        assert snapshot(session) == before, (rule, token)
        assert signed_in_uid(client) == (None if case.anonymous else actor.id), (rule, token)
    # A token from another session (another browser) is no better.
    other = client.application.test_client()
    other.get("/sign-in")
    r = client.post(case.path(world), data=case.data(world) | {"csrf_token": csrf_of(other)})
    assert r.status_code == 400 and snapshot(session) == before

    # With the session's own token the same form works.
    r = client.post(case.path(world), data=case.data(world) | {"csrf_token": own_token})
    assert r.status_code in case.success, (rule, r.status_code, text_of(r)[:500])
    if rule == "/sign-in":
        assert signed_in_uid(client) == world.admin.id
    elif rule == "/sign-out":
        assert signed_in_uid(client) is None
    elif rule.startswith("/channels/connect/"):
        assert r.status_code == 302  # on to the service (or back, when it is not set up)
    else:
        assert snapshot(session) != before, rule


def test_a_session_without_a_token_cannot_post(client, make_user):
    # A fresh browser that never loaded a form: even an empty token must not match "nothing".
    user = make_user(Role.VENDOR_ADMIN)
    r = client.post("/sign-in", data={"email": user.email, "password": PASSWORD, "csrf_token": ""})
    assert r.status_code == 400 and signed_in_uid(client) is None


def test_every_form_on_every_page_carries_the_token(
    client, make_user, make_partner, make_tier, sign_in_as
):
    forms = 0
    for path, html in all_pages(client, make_user, make_partner, make_tier, sign_in_as):
        for form in Page(html).forms:
            if form["method"] == "post":
                forms += 1
                assert len(form["inputs"].get("csrf_token", "")) >= 32, (
                    f"{path}: form {form['action']} has no token"
                )
            else:
                assert "csrf_token" not in form["inputs"], (
                    f"{path}: a GET form would leak the token in URLs"
                )
    assert forms >= 8


# --- sign-in -------------------------------------------------------------------------------------


def test_wrong_password_shows_the_form_again_with_401(client, make_user, session):
    user = make_user(Role.PARTNER_ADMIN)
    r = sign_in(client, user, password="wrong-password")
    assert r.status_code == 401
    html = text_of(r)
    assert "Email or password is incorrect." in html and user.email in html
    assert "wrong-password" not in html  # the password is never echoed
    assert signed_in_uid(client) is None
    session.expire_all()
    assert session.get(User, user.id).last_sign_in_at is None
    # Same answer for an account that does not exist: no hint which emails have accounts.
    client.get("/sign-in")
    r = client.post(
        "/sign-in",
        data={"email": "nobody@example.com", "password": PASSWORD, "csrf_token": csrf_of(client)},
    )
    assert r.status_code == 401 and "Email or password is incorrect." in text_of(r)


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "//evil.example/partners",
        "https://evil.example",
        "http://evil.example/",
        "https:evil.example",
        "https:/evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\\/evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r/evil.example",
        " //evil.example",
        "javascript:alert(1)",
        "evil.example",
        "//evil.example@localhost",
        "/%09/evil.example",
        "HTTPS://evil.example",
        "/\r\nSet-Cookie: evil=1",
        "/ok\r\nLocation: https://evil.example",
        "/\x00//evil.example",
    ],
)
def test_sign_in_never_redirects_off_site(client, make_user, target):
    user = make_user(Role.VENDOR_ADMIN)
    r = sign_in(client, user, next=target)
    assert r.status_code == 302
    loc = r.headers["Location"]
    # What a browser would make of it: backslashes are slashes, tabs and newlines vanish.
    seen = re.sub(r"[\t\r\n]", "", loc).replace("\\", "/").strip()
    parts = urlsplit(seen)
    assert parts.scheme in ("", "http") and parts.netloc in ("", "localhost"), loc
    if not target.startswith("/%"):  # "/%09/..." is a harmless local path; the rest go home
        assert loc == "/", loc
    assert signed_in_uid(client) == user.id


def test_sign_in_follows_a_local_next(client, make_user, make_partner):
    partner = make_partner()
    user = make_user(Role.VENDOR_ADMIN)
    r = sign_in(client, user, next=f"/partners/{partner.id}?tab=users")
    assert r.status_code == 302 and r.headers["Location"] == f"/partners/{partner.id}?tab=users"


def test_deactivated_user_cannot_sign_in(client, make_user):
    user = make_user(Role.PARTNER_ADMIN, active=False)
    r = sign_in(client, user)
    assert r.status_code == 401 and "Email or password is incorrect." in text_of(r)
    assert signed_in_uid(client) is None


def test_deactivation_drops_an_active_session(app, make_user, make_partner, session):
    partner = make_partner()
    member = make_user(Role.PARTNER_USER, partner=partner)
    admin = make_user(Role.PARTNER_ADMIN, partner=partner)
    theirs, ours = app.test_client(), app.test_client()
    assert sign_in(theirs, member).status_code == 302
    assert theirs.get("/").status_code == 200
    theirs.get("/")
    their_token = csrf_of(theirs)

    assert sign_in(ours, admin).status_code == 302
    ours.get("/organisation")
    assert post_form(ours, f"/users/{member.id}/active", {"active": "0"}).status_code == 302

    r = theirs.get("/")
    assert r.status_code == 302 and r.headers["Location"].startswith("/sign-in")
    assert signed_in_uid(theirs) is None
    # The old cookie buys nothing either: a replayed request finds no user.
    r = theirs.post("/sign-out", data={"csrf_token": their_token})
    assert r.status_code in (302, 400)
    assert theirs.get("/organisation").status_code == 302
    # Reactivated, they sign in again.
    assert post_form(ours, f"/users/{member.id}/active", {"active": "1"}).status_code == 302
    assert sign_in(theirs, member).status_code == 302


def test_password_change_drops_other_sessions(client, make_user, session):
    user = make_user(Role.PARTNER_USER)
    assert sign_in(client, user).status_code == 302
    assert client.get("/").status_code == 200
    from prm_domain.passwords import hash_password

    session.get(User, user.id).password_hash = hash_password("another-long-password")
    session.flush()
    r = client.get("/")
    assert r.status_code == 302 and r.headers["Location"].startswith("/sign-in")


def test_sign_in_starts_a_fresh_session(client, make_user):
    """No session fixation: whatever was in the cookie before sign-in is gone after it."""
    user = make_user(Role.VENDOR_ADMIN)
    client.get("/sign-in")
    with client.session_transaction() as s:
        s["planted"] = "by-attacker"
        old_token = s["csrf"]
    assert sign_in(client, user).status_code == 302
    with client.session_transaction() as s:
        assert "planted" not in s
        assert s.get("csrf") != old_token
    assert client.post("/sign-out", data={"csrf_token": old_token}).status_code == 400


def test_sign_out_clears_the_session(client, make_user):
    user = make_user(Role.VENDOR_ADMIN)
    sign_in(client, user)
    client.get("/")
    r = client.post("/sign-out", data={"csrf_token": csrf_of(client)})
    assert r.status_code == 302
    assert signed_in_uid(client) is None
    assert client.get("/").status_code == 302


# --- server-side sessions: sign-out, password change, deactivation, timeouts --------------------


def copy_cookie(client: Any) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def replay(app: Flask, cookie: str) -> Any:
    """A new browser that presents a copied session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief


def test_a_copied_cookie_is_dead_after_sign_out(app, make_user):
    user = make_user(Role.PARTNER_ADMIN)
    client = app.test_client()
    assert sign_in(client, user).status_code == 302
    assert client.get("/organisation").status_code == 200
    copied = copy_cookie(client)
    assert replay(app, copied).get("/organisation").status_code == 200  # the copy works ...
    assert client.post("/sign-out", data={"csrf_token": csrf_of(client)}).status_code == 302
    r = replay(app, copied).get("/organisation")  # ... until the owner signs out
    assert r.status_code == 302 and r.headers["Location"].startswith("/sign-in")
    assert replay(app, copied).get("/api/v1/me").status_code == 401


def test_a_password_change_ends_every_other_session_and_token(app, make_user, session):
    from prm_domain import auth

    user = make_user(Role.PARTNER_USER)
    laptop, phone = app.test_client(), app.test_client()
    assert sign_in(laptop, user).status_code == 302
    assert sign_in(phone, user).status_code == 302
    token, _ = auth.issue_token(session, user, __import__("datetime").timedelta(hours=1))
    session.commit()
    bearer = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/v1/me", headers=bearer).status_code == 200
    copied = copy_cookie(phone)

    laptop.get("/account/password")
    r = post_form(
        laptop,
        "/account/password",
        {"current_password": PASSWORD, "new_password": "a-brand-new-passphrase"},
    )
    assert r.status_code == 302, text_of(r)
    assert laptop.get("/organisation").status_code == 200  # the changer stays signed in
    for dead in (phone, replay(app, copied)):
        r = dead.get("/organisation")
        assert r.status_code == 302 and r.headers["Location"].startswith("/sign-in")
    assert app.test_client().get("/api/v1/me", headers=bearer).status_code == 401
    # The new password works, the old one does not.
    assert sign_in(app.test_client(), user).status_code == 401
    assert sign_in(app.test_client(), user, "a-brand-new-passphrase").status_code == 302


def test_a_password_change_needs_the_current_password(app, make_user, sign_in_as):
    user = make_user(Role.PARTNER_USER)
    client = sign_in_as(user)
    client.get("/account/password")
    r = post_form(
        client,
        "/account/password",
        {"current_password": "not-my-password", "new_password": "a-brand-new-passphrase"},
    )
    assert r.status_code == 422 and "is not your current password" in text_of(r).lower()
    r = post_form(
        client, "/account/password", {"current_password": PASSWORD, "new_password": "short"}
    )
    assert r.status_code == 422 and "at least 10 characters" in text_of(r)
    assert client.get("/organisation").status_code == 200


def test_guessing_the_current_password_is_limited(app, make_user, sign_in_as):
    """A stolen session is no oracle for the password behind it."""
    user = make_user(Role.PARTNER_USER)
    client = sign_in_as(user)
    client.get("/account/password")
    for _ in range(5):
        r = post_form(
            client,
            "/account/password",
            {"current_password": "a-wrong-guess", "new_password": "a-brand-new-passphrase"},
        )
        assert r.status_code == 422
    r = post_form(
        client,
        "/account/password",
        {"current_password": PASSWORD, "new_password": "a-brand-new-passphrase"},
    )
    assert r.status_code == 429 and "Too many attempts" in text_of(r)
    assert sign_in(app.test_client(), user).status_code == 302  # unchanged


def test_password_change_over_the_api_revokes_every_token(app, make_user, session):
    from prm_domain import auth

    user = make_user(Role.PARTNER_ADMIN)
    browser = app.test_client()
    assert sign_in(browser, user).status_code == 302
    tokens = [
        auth.issue_token(session, user, __import__("datetime").timedelta(hours=1))[0]
        for _ in range(2)
    ]
    session.commit()
    api = app.test_client()
    r = api.post(
        "/api/v1/me/password",
        json={"current_password": "wrong-password-1", "new_password": "another-passphrase"},
        headers={"Authorization": f"Bearer {tokens[0]}"},
    )
    assert r.status_code == 422 and r.json["error"]["fields"] == {
        "current_password": "is not your current password"
    }
    r = api.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "another-passphrase"},
        headers={"Authorization": f"Bearer {tokens[0]}"},
    )
    assert r.status_code == 204, r.get_data(as_text=True)
    for token in tokens:
        assert (
            api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
        )
    assert browser.get("/organisation").status_code == 302


def test_deactivation_ends_sessions_and_tokens_for_good(app, make_user, make_partner, session):
    from prm_domain import auth

    partner = make_partner()
    member = make_user(Role.PARTNER_USER, partner=partner)
    admin = make_user(Role.PARTNER_ADMIN, partner=partner)
    theirs = app.test_client()
    assert sign_in(theirs, member).status_code == 302
    copied = copy_cookie(theirs)
    token, _ = auth.issue_token(session, member, __import__("datetime").timedelta(hours=1))
    session.commit()
    ours = app.test_client()
    assert sign_in(ours, admin).status_code == 302
    ours.get("/organisation")
    assert post_form(ours, f"/users/{member.id}/active", {"active": "0"}).status_code == 302
    assert post_form(ours, f"/users/{member.id}/active", {"active": "1"}).status_code == 302
    # Reactivated: the person may sign in again, but what they held before stays dead.
    assert replay(app, copied).get("/organisation").status_code == 302
    bearer = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/v1/me", headers=bearer).status_code == 401


@pytest.mark.parametrize("clock", ["idle", "absolute"])
def test_sessions_time_out(app, make_user, session, clock):
    import datetime as dt

    from prm_domain.base import utcnow
    from prm_domain.models import UserSession

    user = make_user(Role.PARTNER_USER)
    client = app.test_client()
    assert sign_in(client, user).status_code == 302
    assert client.get("/organisation").status_code == 200
    row = session.query(UserSession).filter_by(user_id=user.id).one()
    if clock == "idle":  # 31 minutes without a request; the default idle limit is 30
        row.last_seen_at = utcnow() - dt.timedelta(minutes=31)
    else:  # busy all along, but signed in longer than the 12-hour lifetime
        row.created_at = utcnow() - dt.timedelta(hours=12, minutes=1)
        row.expires_at = utcnow() - dt.timedelta(minutes=1)
    session.commit()
    r = client.get("/organisation")
    assert r.status_code == 302 and r.headers["Location"].startswith("/sign-in")


def test_activity_keeps_a_session_alive(app, make_user, session):
    import datetime as dt

    from prm_domain.base import utcnow
    from prm_domain.models import UserSession

    user = make_user(Role.PARTNER_USER)
    client = app.test_client()
    assert sign_in(client, user).status_code == 302
    row = session.query(UserSession).filter_by(user_id=user.id).one()
    row.last_seen_at = utcnow() - dt.timedelta(minutes=29)
    session.commit()
    assert client.get("/organisation").status_code == 200
    session.refresh(row)
    assert utcnow() - row.last_seen_at < dt.timedelta(minutes=1)


def test_the_cookie_holds_a_random_session_id_stored_only_hashed(app, make_user, session):
    import hashlib

    from prm_domain.models import UserSession

    user = make_user(Role.PARTNER_USER)
    client = app.test_client()
    assert sign_in(client, user).status_code == 302
    with client.session_transaction() as s:
        sid = s["sid"]
    assert len(sid) >= 40
    row = session.query(UserSession).filter_by(user_id=user.id).one()
    assert row.token_hash == hashlib.sha256(sid.encode()).hexdigest() != sid


# --- headers and cookies -------------------------------------------------------------------------


def check_page_headers(r: Any, where: str) -> None:
    h = r.headers
    csp = h.get("Content-Security-Policy", "")
    assert csp, f"{where}: no CSP"
    directives = {d.strip().split()[0]: d.strip().split()[1:] for d in csp.split(";") if d.strip()}
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, where
    assert directives.get("frame-ancestors") == ["'none'"], where
    assert directives.get("default-src") == ["'self'"], where
    assert directives.get("script-src") == ["'self'"], where
    assert directives.get("object-src") == ["'none'"], where
    assert "*" not in csp and "http:" not in csp and "https:" not in csp, where
    assert h.get("X-Content-Type-Options") == "nosniff", where
    assert h.get("X-Frame-Options") == "DENY", where
    assert h.get("Referrer-Policy"), where


def test_security_headers_on_every_kind_of_page(client, make_user, make_partner):
    partner = make_partner()
    responses = {
        "sign-in": client.get("/sign-in"),
        "redirect": client.get("/"),
        "404": client.get("/nowhere"),
        "405": client.get("/sign-out"),
        "csrf 400": client.post("/sign-in", data={}),
        "static css": client.get("/static/css/app.css"),
    }
    sign_in(client, make_user(Role.VENDOR_ADMIN))
    responses |= {
        "dashboard": client.get("/"),
        "list": client.get("/partners?page=abc"),
        "detail": client.get(f"/partners/{partner.id}"),
        "form": client.get("/partners/new"),
        "domain 404": client.get("/partners/999999"),
    }
    for where, r in responses.items():
        check_page_headers(r, where)
        r.close()


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/sign-in").headers
    r = client.get("/sign-in", base_url="https://prm.example")
    assert r.headers["Strict-Transport-Security"].startswith("max-age=")


def session_cookie(response: Any) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, "no session cookie set"
    return cookies[-1]


def cookie_flags(cookie: str) -> dict[str, str]:
    flags = {}
    for part in cookie.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        flags[name.lower()] = value
    return flags


def test_session_cookie_is_httponly_and_lax(app, make_user):
    client = app.test_client()
    user = make_user(Role.VENDOR_ADMIN)
    client.get("/sign-in")
    r = client.post(
        "/sign-in", data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_of(client)}
    )
    flags = cookie_flags(session_cookie(r))
    assert "httponly" in flags and flags.get("samesite", "").lower() == "lax"
    assert "expires" in flags  # a permanent session with a fixed lifetime, not forever
    assert "secure" not in flags  # plain-HTTP development would lose a Secure cookie


@pytest.mark.parametrize("base", ["https://prm.example", "https://prm.example/"])
def test_session_cookie_is_secure_when_the_public_url_is_https(
    engine, session_factory, tmp_path, make_user, base
):
    app = build_app(engine, session_factory, tmp_path, PUBLIC_BASE_URL=base)
    client = app.test_client()
    r = client.get("/sign-in", base_url="https://prm.example")
    flags = cookie_flags(session_cookie(r))
    assert "secure" in flags and "httponly" in flags and flags.get("samesite", "").lower() == "lax"
    token = Page(text_of(r)).forms[0]["inputs"][
        "csrf_token"
    ]  # the cookie only goes back over https
    user = make_user(Role.VENDOR_ADMIN)
    r = client.post(
        "/sign-in",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
        base_url="https://prm.example",
    )
    assert r.status_code == 302
    assert "secure" in cookie_flags(session_cookie(r))


def test_session_cookie_is_not_secure_for_an_http_public_url(engine, session_factory, tmp_path):
    app = build_app(engine, session_factory, tmp_path, PUBLIC_BASE_URL="http://localhost:5000")
    r = app.test_client().get("/sign-in")
    assert "secure" not in cookie_flags(session_cookie(r))


def test_session_cookie_is_signed(client, make_user):
    """A cookie forged without the secret key signs nobody in."""
    user = make_user(Role.VENDOR_ADMIN)
    from itsdangerous import URLSafeTimedSerializer

    forged = URLSafeTimedSerializer(
        "not-the-key",
        salt="cookie-session",
        signer_kwargs={"key_derivation": "hmac", "digest_method": __import__("hashlib").sha1},
    )
    client.set_cookie(
        "session",
        forged.dumps({"uid": user.id, "pw": user.password_hash[-16:]}),
        domain="localhost",
    )
    assert client.get("/").status_code == 302


# --- what a page echoes is escaped ---------------------------------------------------------------

XSS = '"><script>alert(1)</script><img src=x onerror=alert(1)>'


def test_echoed_input_is_escaped(client, make_user, make_partner):
    make_partner(name=XSS)
    r = client.get("/sign-in", query_string={"next": XSS})
    assert "<script>alert" not in text_of(r) and "&lt;script&gt;" in text_of(r)
    r = client.post("/sign-in", data={"email": XSS, "password": "x", "csrf_token": csrf_of(client)})
    assert (
        r.status_code == 401
        and "<script>alert" not in text_of(r)
        and "<img src=x" not in text_of(r)
    )
    sign_in(client, make_user(Role.VENDOR_ADMIN))
    for path in ("/", "/partners", "/partners?q=" + XSS.replace("&", "%26"), "/audit"):
        html = text_of(client.get(path, query_string=None))
        assert "<script>alert" not in html and "<img src=x" not in html, path


def test_session_cookie_holds_no_part_of_the_password_hash(make_user, sign_in_as) -> None:
    import base64
    import json
    import zlib

    user = make_user(Role.PARTNER_ADMIN)
    client = sign_in_as(user)
    cookie = client.get_cookie("session")
    assert cookie is not None
    payload = (
        cookie.value.split(".")[0]
        if not cookie.value.startswith(".")
        else cookie.value.split(".")[1]
    )
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    if cookie.value.startswith("."):
        raw = zlib.decompress(raw)
    text = json.dumps(json.loads(raw))
    digest = user.password_hash.rsplit("$", 1)[-1]
    for i in range(len(digest) - 8):
        assert digest[i : i + 8] not in text


def test_refusals_on_pages_are_403_pages_not_redirects_elsewhere(make_user, sign_in_as) -> None:
    client = sign_in_as(make_user(Role.PARTNER_USER))
    r = client.get("/audit", headers={"Referer": "https://evil.example/phish"})
    assert r.status_code == 403
    assert "evil.example" not in r.headers.get("Location", "")
