"""Parallel traffic on the embedded default (a SQLite file, WAL, in-process tasks): no request
answers 5xx, and every count is right.

Each request runs on its own thread with its own connection and commits (tests/concurrency.py).
The old failure: a deferred transaction that read and then wrote, after another connection had
committed, got SQLITE_BUSY_SNAPSHOT at once ("database is locked", a 500): ten parallel clicks
gave eight 500s. prm_domain/database.py has the fix and why.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from prm_domain import auth
from prm_domain.database import make_engine
from prm_domain.enums import Role
from prm_domain.models import (
    ApiToken,
    AssetDownload,
    EmbedDailyStat,
    Lead,
    TrackedLink,
    User,
    UserSession,
)
from prm_domain.passwords import hash_password
from prm_domain.syndication import page_views
from syndication.public import form_token
from tests.concurrency import (
    ORIGIN,
    PublicSite,
    close_file_app,
    file_app,
    in_parallel,
    seed_public_site,
)
from tests.conftest import PASSWORD
from tests.migrated import migrated_sqlite

N = 20  # parallel requests of each kind


@dataclass
class World:
    app: Flask
    site: PublicSite
    users: list[tuple[str, str]]  # (email, API token) of N partner users


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    flask_app = file_app(tmp_path)
    try:
        site = seed_public_site(flask_app)
        password_hash = hash_password(PASSWORD)  # once: argon2 is slow on purpose
        users = []
        with flask_app.extensions["cobrand.db"].sessionmaker() as s:
            for i in range(N):
                user = User(
                    email=f"user{i}-{uuid.uuid4().hex[:6]}@partner.example",
                    password_hash=password_hash,
                    display_name=f"User {i}",
                    role=Role.PARTNER_USER,
                    partner_id=site.partner_id,
                )
                s.add(user)
                s.flush()
                token, _ = auth.issue_token(s, user, dt.timedelta(hours=1))
                users.append((user.email, token))
            s.commit()
        yield World(flask_app, site, users)
    finally:
        close_file_app(flask_app)


def _address(i: int) -> dict[str, str]:
    return {"REMOTE_ADDR": f"198.51.100.{i + 1}"}


def _burst(w: World, request: Callable[[Any, int], Any]) -> list[Any]:
    """N requests at once, each from its own client and address; their responses."""
    results = in_parallel(N, lambda i: request(w.app.test_client(), i))
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    return results


def _count(w: World, query: Any) -> int:
    with w.app.extensions["cobrand.db"].sessionmaker() as s:
        return int(s.scalar(query) or 0)


def _statuses(responses: list[Any]) -> list[int]:
    return sorted(r.status_code for r in responses)


def test_parallel_clicks_from_different_addresses_all_count(world: World) -> None:
    code = world.site.link_code
    responses = _burst(world, lambda c, i: c.get(f"/r/{code}", environ_base=_address(i)))
    assert _statuses(responses) == [302] * N
    assert _count(world, select(TrackedLink.clicks)) == N


def test_parallel_leads_from_different_visitors_are_all_stored(world: World) -> None:
    key, form = world.site.key, world.site.form
    with world.app.app_context():
        token = form_token(key, int(time.time()) - 30)

    def submit(client: Any, i: int) -> Any:
        body = {
            "form_id": form,
            "fields": {"name": f"Visitor {i}", "email": f"visitor{i}@buyer.example"},
            "consent": True,
            "website": "",
            "form_token": token,
            "page_url": "https://shop.example.com/",
        }
        return client.post(
            f"/syndication/v1/embeds/{key}/leads",
            json=body,
            headers={"Origin": ORIGIN},
            environ_base=_address(i),
        )

    responses = _burst(world, submit)
    assert _statuses(responses) == [201] * N, [r.get_json() for r in responses]
    assert _count(world, select(func.count()).select_from(Lead)) == N
    embed_leads = select(EmbedDailyStat.leads).where(EmbedDailyStat.item_id == 0)
    assert _count(world, embed_leads) == N


def test_parallel_event_beacons_all_count(world: World) -> None:
    key, banner = world.site.key, world.site.banner

    def beacon(client: Any, i: int) -> Any:
        body = {
            "page_view": page_views.issue(world.app.config["SECRET_KEY"], key),
            "events": [
                {"type": "impression", "item_id": banner},
                {"type": "click", "item_id": banner},
            ],
        }
        return client.post(
            f"/syndication/v1/embeds/{key}/events",
            json=body,
            headers={"Origin": ORIGIN},
            environ_base=_address(i),
        )

    assert _statuses(_burst(world, beacon)) == [204] * N
    impressions = select(func.sum(EmbedDailyStat.impressions)).where(
        EmbedDailyStat.item_id == banner
    )
    clicks = select(func.sum(EmbedDailyStat.clicks)).where(EmbedDailyStat.item_id == banner)
    assert _count(world, impressions) == N
    assert _count(world, clicks) == N


def test_parallel_counted_downloads_by_different_people_all_count(world: World) -> None:
    asset = world.site.asset_id

    def download(client: Any, i: int) -> Any:
        return client.get(
            f"/api/v1/assets/{asset}/render?format=pdf&download=true",
            headers={"Authorization": f"Bearer {world.users[i][1]}"},
            environ_base=_address(i),
        )

    responses = _burst(world, download)
    assert _statuses(responses) == [200] * N
    assert all(r.data.startswith(b"%PDF") for r in responses)
    assert _count(world, select(func.count()).select_from(AssetDownload)) == N


def test_parallel_portal_sign_ins_and_posts(world: World) -> None:
    def sign_in_and_post(client: Any, i: int) -> tuple[int, int, int]:
        client.get("/sign-in", environ_base=_address(i))
        with client.session_transaction() as s:
            csrf = s["csrf"]
        signed_in = client.post(
            "/sign-in",
            data={"email": world.users[i][0], "password": PASSWORD, "csrf_token": csrf},
            environ_base=_address(i),
        )
        page = client.get("/", environ_base=_address(i))  # a new session, a new token
        with client.session_transaction() as s:
            csrf = s["csrf"]
        visit = client.post("/visits", headers={"X-CSRF-Token": csrf}, environ_base=_address(i))
        return signed_in.status_code, page.status_code, visit.status_code

    results = _burst(world, sign_in_and_post)
    assert sorted(results) == [(302, 200, 204)] * N
    assert _count(world, select(func.count()).select_from(UserSession)) == N
    seen = select(func.count()).select_from(User).where(User.last_seen_at.is_not(None))
    assert _count(world, seen) == N


def test_everything_at_once(world: World) -> None:
    """All the kinds above in one burst, and readers (the embed's content) among them."""
    site = world.site
    with world.app.app_context():
        token = form_token(site.key, int(time.time()) - 30)

    def one(client: Any, i: int) -> Any:
        env = _address(i)
        kind = i % 5
        if kind == 0:
            return client.get(f"/r/{site.link_code}", environ_base=env)
        if kind == 1:
            body = {
                "form_id": site.form,
                "fields": {"name": "V", "email": f"v{i}@buyer.example"},
                "consent": True,
                "form_token": token,
            }
            return client.post(
                f"/syndication/v1/embeds/{site.key}/leads",
                json=body,
                headers={"Origin": ORIGIN},
                environ_base=env,
            )
        if kind == 2:
            body = {
                "page_view": page_views.issue(world.app.config["SECRET_KEY"], site.key),
                "events": [{"type": "impression", "item_id": site.banner}],
            }
            return client.post(
                f"/syndication/v1/embeds/{site.key}/events",
                json=body,
                headers={"Origin": ORIGIN},
                environ_base=env,
            )
        if kind == 3:
            return client.get(
                f"/api/v1/assets/{site.asset_id}/render?format=pdf&download=true",
                headers={"Authorization": f"Bearer {world.users[i][1]}"},
                environ_base=env,
            )
        return client.get(
            f"/syndication/v1/embeds/{site.key}", headers={"Origin": ORIGIN}, environ_base=env
        )

    responses = _burst(world, one)
    assert [r.status_code for r in responses if r.status_code >= 400] == []
    kinds = [sum(1 for i in range(N) if i % 5 == k) for k in range(5)]
    assert _count(world, select(TrackedLink.clicks)) == kinds[0]
    assert _count(world, select(func.count()).select_from(Lead)) == kinds[1]
    impressions = select(EmbedDailyStat.impressions).where(EmbedDailyStat.item_id == site.banner)
    assert _count(world, impressions) == kinds[2]
    assert _count(world, select(func.count()).select_from(AssetDownload)) == kinds[3]


# -- the rules underneath, on a bare engine ------------------------------------------------------


@pytest.fixture
def file_engine(tmp_path: Path) -> Any:
    engine = make_engine(migrated_sqlite(tmp_path / "e.db"))
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO counter VALUES (1, 0)"))
    yield engine
    engine.dispose()


def test_a_reader_that_writes_after_another_commit_goes_on(file_engine: Any) -> None:
    """The race itself, made certain: A reads, B writes and commits, A writes."""
    with Session(file_engine) as a, Session(file_engine) as b:
        assert a.scalar(text("SELECT n FROM counter")) == 0  # A's snapshot
        b.execute(text("UPDATE counter SET n = n + 1"))
        b.commit()
        a.execute(text("UPDATE counter SET n = n + 1"))  # was: database is locked
        a.commit()
    with Session(file_engine) as s:
        assert s.scalar(text("SELECT n FROM counter")) == 2


def test_a_savepoint_takes_the_write_lock_before_it_opens(file_engine: Any) -> None:
    with Session(file_engine) as a, Session(file_engine) as b:
        a.scalar(text("SELECT n FROM counter"))
        b.execute(text("UPDATE counter SET n = n + 1"))
        b.commit()
        with a.begin_nested():
            a.execute(text("UPDATE counter SET n = n + 10"))
        a.commit()
    with Session(file_engine) as s:
        assert s.scalar(text("SELECT n FROM counter")) == 11


def test_a_transaction_that_wrote_is_never_rolled_back_to_take_the_lock(
    file_engine: Any,
) -> None:
    with Session(file_engine) as a:
        a.execute(text("UPDATE counter SET n = 5"))
        a.scalar(text("SELECT n FROM counter"))
        with a.begin_nested():
            a.execute(text("UPDATE counter SET n = n + 1"))
        a.commit()
    with Session(file_engine) as s:
        assert s.scalar(text("SELECT n FROM counter")) == 6


def test_a_lock_held_past_busy_timeout_is_a_503_with_retry_after(tmp_path: Path) -> None:
    flask_app = file_app(tmp_path, SQLITE_BUSY_TIMEOUT=0.3)
    try:
        site = seed_public_site(flask_app)
        holder = sqlite3.connect(tmp_path / "app.db", isolation_level=None, check_same_thread=False)
        holder.execute("BEGIN IMMEDIATE")
        try:
            response = flask_app.test_client().get(f"/r/{site.link_code}")
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert response.status_code == 503
        assert int(response.headers["Retry-After"]) >= 1
        assert flask_app.test_client().get(f"/r/{site.link_code}").status_code == 302
    finally:
        close_file_app(flask_app)


def test_an_in_process_task_waits_out_a_held_lock(tmp_path: Path) -> None:
    """Held longer than the default busy_timeout (5 s): the job runs again, it does not fail."""
    flask_app = file_app(tmp_path, SQLITE_BUSY_TIMEOUT=0.5)
    try:
        with flask_app.extensions["cobrand.db"].sessionmaker() as s:
            user = User(
                email="gone@partner.example",
                password_hash="not-a-login",
                display_name="Gone",
                role=Role.VENDOR_ADMIN,
            )
            s.add(user)
            s.flush()
            auth.issue_token(s, user, dt.timedelta(days=-40))  # long dead: to purge
            s.commit()
        holder = sqlite3.connect(tmp_path / "app.db", isolation_level=None, check_same_thread=False)
        holder.execute("BEGIN IMMEDIATE")
        release = threading.Timer(5.2, lambda: holder.execute("ROLLBACK"))
        release.start()
        with flask_app.app_context():
            from app.celery_app import enqueue

            future = enqueue("cobrand.purge_dead_tokens")
        assert future is not None and future.result(timeout=30) == 1
        release.join()
        holder.close()
        with flask_app.extensions["cobrand.db"].sessionmaker() as s:
            assert s.scalar(select(func.count()).select_from(ApiToken)) == 0
    finally:
        close_file_app(flask_app)


def test_other_database_errors_stay_errors(file_engine: Any) -> None:
    with Session(file_engine) as a, pytest.raises(OperationalError, match="no such table"):
        a.execute(text("UPDATE nowhere SET n = 1"))
