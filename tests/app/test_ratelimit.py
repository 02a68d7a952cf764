"""Failed sign-ins are limited per (account, address) (5) and per address (20), never per account
from anywhere (a stranger must not lock the owner out); successes never count. In process memory
by default and in Redis when REDIS_URL is set (every web process then shares one count)."""

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
from tests.concurrency import LIMIT_STORES, REDIS_URL
from tests.conftest import PASSWORD, csrf_of
from tests.requirements import unless


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
    assert app.config["LOGIN_LIMIT_PER_ACCOUNT_ADDRESS"] == "5 per 15 minutes"
    assert app.config["LOGIN_LIMIT_PER_ADDRESS"] == "20 per 15 minutes"
    assert "LOGIN_LIMIT_PER_ACCOUNT" not in app.config  # no account-wide lockout


@pytest.mark.parametrize("store", LIMIT_STORES)
def test_five_failures_lock_the_account_from_that_address_only(make_limited_app, make_user, store):
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
    # The owner, from their own address, is not locked out by a stranger's guesses.
    owner = flask_app.test_client()
    assert attempt(owner, user.email, PASSWORD, address="198.51.100.9").status_code == 302
    # Other accounts on the first address are not locked by it.
    other = make_user(Role.PARTNER_USER)
    assert attempt(flask_app.test_client(), other.email, PASSWORD).status_code == 302
    if store == "redis":
        assert redis_keys(flask_app.config["RATE_LIMIT_PREFIX"]), "no counters in Redis"


@pytest.mark.parametrize("store", LIMIT_STORES)
def test_strangers_from_many_addresses_never_lock_the_owner_out(make_limited_app, make_user, store):
    """5 wrong passwords from each of 20 addresses (100 failures, as many as the old account-wide
    limit allowed): the owner still gets in with the right password from a fresh address, in a
    new browser and on the API. Only the strangers' own (account, address) pairs are refused."""
    flask_app = make_limited_app(store)
    user = make_user(Role.PARTNER_ADMIN)
    for n in range(20):
        address = f"203.0.113.{n + 20}"
        for _ in range(5):
            r = flask_app.test_client().post(
                "/api/v1/tokens",
                json={"email": user.email, "password": "wrong-password"},
                environ_base={"REMOTE_ADDR": address},
            )
            assert r.status_code == 401, (address, r.json)
        r = attempt(flask_app.test_client(), user.email, PASSWORD, address=address)
        assert r.status_code == 429  # that stranger's pair is used up
    fresh = flask_app.test_client()
    assert attempt(fresh, user.email, PASSWORD, address="192.0.2.99").status_code == 302
    assert signed_in_uid(fresh) == user.id
    r = flask_app.test_client().post(
        "/api/v1/tokens",
        json={"email": user.email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "198.51.100.77"},
    )
    assert r.status_code == 201, r.json


@pytest.mark.parametrize("store", LIMIT_STORES)
def test_successes_do_not_count(make_limited_app, make_user, store):
    """An office behind one address signs in all day: only failures count against it."""
    flask_app = make_limited_app(store)
    flask_app.config["LOGIN_LIMIT_PER_ADDRESS"] = "3 per 15 minutes"
    users = [make_user(Role.PARTNER_USER) for _ in range(3)]
    for _ in range(3):
        for user in users:
            client = flask_app.test_client()
            assert attempt(client, user.email, PASSWORD).status_code == 302
    # Two failures still leave room for the third before the address is refused.
    for _ in range(2):
        assert attempt(flask_app.test_client(), "who@example.com", "nope-nope").status_code == 401
    assert attempt(flask_app.test_client(), users[0].email, PASSWORD).status_code == 302


@pytest.mark.parametrize("store", LIMIT_STORES)
def test_success_resets_the_pair_count(make_limited_app, make_user, store):
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


@pytest.mark.parametrize("store", LIMIT_STORES)
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


@pytest.mark.parametrize("store", LIMIT_STORES)
def test_refused_attempts_are_not_checked_or_counted(make_limited_app, make_user, session, store):
    """Once limited, the password is not even checked: no last sign-in, no extra count; and a
    wrong password past the limit answers 429 like a right one, telling the guesser nothing."""
    flask_app = make_limited_app(store)
    client = flask_app.test_client()
    user = make_user(Role.PARTNER_USER)
    for _ in range(5):
        attempt(client, user.email, "wrong-password")
    for password in (PASSWORD, "wrong-password", PASSWORD):
        assert attempt(client, user.email, password).status_code == 429
    session.expire_all()
    assert session.get(type(user), user.id).last_sign_in_at is None
    with flask_app.app_context():
        limits = limiter()
        stats = limits.strategy.get_window_stats(
            __import__("limits").parse(flask_app.config["LOGIN_LIMIT_PER_ACCOUNT_ADDRESS"]),
            "login-acct-addr",
            user.email,
            "203.0.113.7",
        )
    assert stats.remaining == 0


@pytest.mark.redis
@unless(bool(REDIS_URL), "TEST_REDIS_URL is not set: no Redis to test against")
def test_web_processes_share_counts_in_redis(make_limited_app, make_user):
    prefix = f"cobrand-test-{uuid.uuid4().hex}"
    first, second = make_limited_app("redis", prefix), make_limited_app("redis", prefix)
    stranger = make_limited_app("redis")  # another deployment: its own prefix, its own counts
    user = make_user(Role.PARTNER_ADMIN)
    for i in range(5):  # the same (account, address) pair, its guesses spread over processes
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


@pytest.mark.redis
@pytest.mark.skipif(
    not (REDIS_URL and os.environ.get("TEST_DATABASE_URL")),
    reason="TEST_REDIS_URL and TEST_DATABASE_URL are needed for parallel sign-ins",
)
def test_a_burst_of_parallel_guesses_gets_no_more_answers_than_the_limit(tmp_path):
    """30 wrong passwords at once from one address, on real Postgres and Redis in parallel
    requests: exactly 5 are answered "wrong", the rest 429 (a 429 says nothing of the guess),
    and after the burst the right password is refused as well."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy.orm import Session as OrmSession

    from prm_domain.database import upgrade
    from prm_domain.models import User
    from prm_domain.passwords import hash_password
    from tests.conftest import drop_postgres_schema, postgres_engine

    schema = f"t_{uuid.uuid4().hex[:12]}"
    prefix = f"cobrand-test-{uuid.uuid4().hex}"
    engine = postgres_engine(schema)
    try:
        upgrade(engine)
        with OrmSession(engine) as s:
            s.add(
                User(
                    email="owner@example.com",
                    password_hash=hash_password(PASSWORD),
                    display_name="Owner",
                    role=Role.VENDOR_ADMIN,
                )
            )
            s.commit()
        flask_app = build_app(engine, None, tmp_path, REDIS_URL=REDIS_URL, RATE_LIMIT_PREFIX=prefix)
        flask_app.extensions["cobrand.db"].engine = engine
        from prm_domain.database import make_sessionmaker

        flask_app.extensions["cobrand.db"].sessionmaker = make_sessionmaker(engine)
        passwords = [f"wrong-password-{n}" for n in range(30)]
        start = threading.Barrier(len(passwords))

        def attempt_once(password: str) -> int:
            client = flask_app.test_client()
            start.wait(timeout=30)
            r = client.post(
                "/api/v1/tokens",
                json={"email": "owner@example.com", "password": password},
                environ_base={"REMOTE_ADDR": "203.0.113.66"},
            )
            return r.status_code

        with ThreadPoolExecutor(max_workers=len(passwords)) as pool:
            answers = list(pool.map(attempt_once, passwords))
        assert sorted(answers) == [401] * 5 + [429] * 25, answers
        late = flask_app.test_client().post(
            "/api/v1/tokens",
            json={"email": "owner@example.com", "password": PASSWORD},
            environ_base={"REMOTE_ADDR": "203.0.113.66"},
        )
        assert late.status_code == 429
        close_limiter(flask_app)
    finally:
        drop_redis_keys(prefix)
        engine.dispose()
        drop_postgres_schema(schema)
