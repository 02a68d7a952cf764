"""Sign-in attempts are rate-limited per account (5) and per address (20), in process memory by
default and in Redis when REDIS_URL is set (every web process then shares one count)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from app.ratelimit import limiter
from prm_domain.enums import Role
from tests.app.test_portal import (  # noqa: F401 - fast_argon2 and password_hash are fixtures
    fast_argon2,
    password_hash,
    text_of,
)
from tests.app.test_security import build_app, signed_in_uid
from tests.conftest import PASSWORD, csrf_of
from tests.requirements import unless

REDIS_URL = os.environ.get("TEST_REDIS_URL")
STORES = [
    "memory",
    pytest.param(
        "redis",
        marks=[
            pytest.mark.redis,
            unless(bool(REDIS_URL), "TEST_REDIS_URL is not set: no Redis to test against"),
        ],
    ),
]


def redis_keys(prefix: str) -> list[bytes]:
    import redis

    conn = redis.Redis.from_url(REDIS_URL)  # type: ignore[arg-type]
    try:
        return list(conn.scan_iter(f"{prefix}*"))
    finally:
        conn.close()


def drop_redis_keys(prefix: str) -> None:
    import redis

    conn = redis.Redis.from_url(REDIS_URL)  # type: ignore[arg-type]
    try:
        for key in conn.scan_iter(f"{prefix}*"):
            conn.delete(key)
    finally:
        conn.close()


def close_limiter(flask_app: Flask) -> None:
    store = flask_app.extensions["cobrand.limiter"].strategy.storage
    pool = getattr(getattr(store, "storage", None), "connection_pool", None)
    if pool is not None:
        pool.disconnect()


@pytest.fixture
def make_limited_app(engine, session_factory, tmp_path) -> Iterator[Any]:
    """Apps on the test's transaction with a rate-limit store: "memory", or "redis" with a prefix
    of its own (pass ``prefix`` to make two apps share counters, like two web processes)."""
    made: list[tuple[Flask, str | None]] = []

    def make(store: str, prefix: str | None = None) -> Flask:
        config: dict[str, Any] = {}
        if store == "redis":
            prefix = prefix or f"cobrand-test-{uuid.uuid4().hex}"
            config = {"REDIS_URL": REDIS_URL, "RATE_LIMIT_PREFIX": prefix}
        flask_app = build_app(engine, session_factory, tmp_path, **config)
        made.append((flask_app, prefix if store == "redis" else None))
        return flask_app

    yield make
    for flask_app, prefix in made:
        close_limiter(flask_app)
        if prefix:
            drop_redis_keys(prefix)


def attempt(
    client: Any, email: str, password: str, address: str = "203.0.113.7", **headers: str
) -> Any:
    env = {"REMOTE_ADDR": address}
    client.get("/sign-in", environ_base=env)
    return client.post(
        "/sign-in",
        data={"email": email, "password": password, "csrf_token": csrf_of(client)},
        environ_base=env,
        headers=headers,
    )


def test_defaults_match_the_policy(app):
    assert app.config["LOGIN_LIMIT_PER_ACCOUNT"] == "5 per 15 minutes"
    assert app.config["LOGIN_LIMIT_PER_ADDRESS"] == "20 per 15 minutes"


@pytest.mark.parametrize("store", STORES)
def test_five_failures_lock_the_account_even_for_the_right_password(
    make_limited_app, make_user, store
):
    flask_app = make_limited_app(store)
    client = flask_app.test_client()
    user = make_user(Role.PARTNER_ADMIN)
    spellings = [
        user.email,
        user.email.upper(),
        f"  {user.email}  ",
        user.email,
        user.email.title(),
    ]
    for spelling in spellings:  # one account however its email is typed
        r = attempt(client, spelling, "wrong-password")
        assert r.status_code == 401, text_of(r)
    r = attempt(client, user.email, PASSWORD)
    assert r.status_code == 429
    assert "Too many attempts. Try again later." in text_of(r)
    assert signed_in_uid(client) is None
    # From another address too: the limit is on the account.
    r = attempt(client, user.email, PASSWORD, address="198.51.100.9")
    assert r.status_code == 429
    # Other accounts on the first address are not locked by it.
    other = make_user(Role.PARTNER_USER)
    assert attempt(client, other.email, PASSWORD).status_code == 302
    if store == "redis":
        assert redis_keys(flask_app.config["RATE_LIMIT_PREFIX"]), "no counters in Redis"


@pytest.mark.parametrize("store", STORES)
def test_success_resets_the_account_count(make_limited_app, make_user, store):
    client = make_limited_app(store).test_client()
    user = make_user(Role.PARTNER_USER)
    for _ in range(4):
        assert attempt(client, user.email, "wrong-password").status_code == 401
    assert attempt(client, user.email, PASSWORD).status_code == 302
    client.get("/")
    assert client.post("/sign-out", data={"csrf_token": csrf_of(client)}).status_code == 302
    for _ in range(4):
        assert attempt(client, user.email, "wrong-password").status_code == 401
    assert attempt(client, user.email, PASSWORD).status_code == 302


@pytest.mark.parametrize("store", STORES)
def test_twenty_failures_from_one_address_lock_it_across_accounts(
    make_limited_app, make_user, store
):
    client = make_limited_app(store).test_client()
    user = make_user(Role.VENDOR_ADMIN)
    for i in range(20):
        r = attempt(client, f"guess-{i}@example.com", "wrong-password")
        assert r.status_code == 401, i
    r = attempt(client, user.email, PASSWORD)
    assert r.status_code == 429 and signed_in_uid(client) is None
    # A forged X-Forwarded-For does not make a new address (no trusted proxy configured).
    r = attempt(client, user.email, PASSWORD, **{"X-Forwarded-For": "192.0.2.55"})
    assert r.status_code == 429
    # The account itself is fine from elsewhere.
    assert attempt(client, user.email, PASSWORD, address="198.51.100.10").status_code == 302


@pytest.mark.parametrize("store", STORES)
def test_refused_attempts_are_not_checked_or_counted(make_limited_app, make_user, session, store):
    """Once limited, the password is not even checked: no last sign-in, no extra count."""
    flask_app = make_limited_app(store)
    client = flask_app.test_client()
    user = make_user(Role.PARTNER_USER)
    for _ in range(5):
        attempt(client, user.email, "wrong-password")
    for _ in range(3):
        assert attempt(client, user.email, PASSWORD).status_code == 429
    session.expire_all()
    assert session.get(type(user), user.id).last_sign_in_at is None
    with flask_app.app_context():
        limits = limiter()
        stats = limits.strategy.get_window_stats(
            __import__("limits").parse(flask_app.config["LOGIN_LIMIT_PER_ACCOUNT"]),
            "login-acct",
            user.email,
        )
    assert stats.remaining == 0


@pytest.mark.redis
@unless(bool(REDIS_URL), "TEST_REDIS_URL is not set: no Redis to test against")
def test_web_processes_share_counts_in_redis(make_limited_app, make_user):
    prefix = f"cobrand-test-{uuid.uuid4().hex}"
    first, second = make_limited_app("redis", prefix), make_limited_app("redis", prefix)
    stranger = make_limited_app("redis")  # another deployment: its own prefix, its own counts
    user = make_user(Role.PARTNER_ADMIN)
    for i in range(5):
        web = (first if i % 2 else second).test_client()
        assert attempt(web, user.email, "wrong-password").status_code == 401
    assert attempt(first.test_client(), user.email, PASSWORD).status_code == 429
    assert attempt(second.test_client(), user.email, PASSWORD).status_code == 429
    assert attempt(stranger.test_client(), user.email, PASSWORD).status_code == 302
    assert redis_keys(prefix)


def test_memory_counts_are_per_app(make_limited_app, make_user):
    """Without Redis each process counts alone (the reason production sets REDIS_URL)."""
    first, second = make_limited_app("memory"), make_limited_app("memory")
    user = make_user(Role.PARTNER_ADMIN)
    for _ in range(5):
        attempt(first.test_client(), user.email, "wrong-password")
    assert attempt(first.test_client(), user.email, PASSWORD).status_code == 429
    assert attempt(second.test_client(), user.email, PASSWORD).status_code == 302
