"""Real concurrency on Postgres: a committed schema of its own, and threads that start together.

The usual fixtures wrap a test in one rolled-back transaction on one connection, where nothing
can race. These helpers give each thread its own connection and session that commits, so the
database's own locking (or the lack of it) is what a test sees.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from flask import Flask
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from prm_domain.database import make_engine, upgrade
from prm_domain.enums import Role
from prm_domain.models import Partner, User
from tests import compile_cache
from tests.conftest import drop_postgres_schema
from tests.migrated import migrated_sqlite
from tests.requirements import need_env, unless
from tests.seed import add_partner, add_tier, add_user

T = TypeVar("T")


@dataclass
class Committed:
    """A migrated Postgres schema whose sessions commit for real."""

    engine: Engine
    sessions: sessionmaker[Session]

    def partner(self, s: Session, name: str | None = None) -> Partner:
        tier = add_tier(s, f"Tier {uuid.uuid4().hex[:8]}", 100)
        return add_partner(s, name or f"Partner {uuid.uuid4().hex[:8]}", tier.id)

    def user(self, s: Session, role: Role, partner_id: int | None = None) -> User:
        email = f"{role.value}-{uuid.uuid4().hex[:8]}@example.com"
        return add_user(s, role, email, partner_id, display_name=role.label)


POOL = 40  # connections of a concurrency test's engine; more threads than this queue for one


def committed_postgres() -> Iterator[Committed]:
    """For a fixture to ``yield from``: skips without TEST_DATABASE_URL, drops the schema after."""
    url = need_env("TEST_DATABASE_URL", "Postgres for real concurrent connections")
    schema = f"c_{uuid.uuid4().hex[:12]}"
    # One connection per thread (up to POOL of them), all open before the threads are released;
    # opened first, so a moment when other workers hold the server's connections is waited out.
    engine = make_engine(
        url,
        connect_args={"options": f"-c search_path={schema}"},
        # Opened in full before the race (_open_pool) and never more during it: a burst of
        # new connections mid-race could meet another worker's and the server's limit.
        pool_size=POOL,
        max_overflow=0,
    )
    _open_pool(engine, POOL)
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        upgrade(engine)
        yield Committed(engine, sessionmaker(bind=engine, expire_on_commit=False))
    finally:
        engine.dispose()
        drop_postgres_schema(schema)


def _open_pool(engine: Engine, count: int, patience: float = 120.0) -> None:
    """Open the pool's connections before any race starts: the threads then meet on the
    database, not on connecting. Under pytest-xdist another worker may hold many of the
    server's connections for a moment (a served app, a Celery worker): wait for them rather
    than fail with "too many clients" in the middle of a race."""
    deadline = time.monotonic() + patience
    held = []
    try:
        while len(held) < count:
            try:
                held.append(engine.connect())
            except OperationalError as exc:
                if "too many clients" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
    finally:
        for connection in held:
            connection.close()


def in_parallel(n: int, work: Callable[[int], T]) -> list[T | BaseException]:
    """Run ``work(0..n-1)`` in n threads released together; results (or exceptions) in order."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except BaseException as exc:  # handed back to the test to assert on
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


REDIS_URL = os.environ.get("TEST_REDIS_URL")
# The rate-limit stores a test runs against: process memory always, Redis when there is one.
LIMIT_STORES = [
    "memory",
    pytest.param(
        "redis",
        marks=[
            pytest.mark.redis,
            unless(bool(REDIS_URL), "TEST_REDIS_URL is not set: no Redis to test against"),
        ],
    ),
]


def file_app(tmp_path: Path, store: str = "memory", **config: Any) -> Flask:
    """The real app on a SQLite file of its own (each request thread gets its own connection,
    and commits), with its rate limits in process memory or in Redis under a fresh prefix."""
    from app import create_app

    limits: dict[str, Any] = {"REDIS_URL": None}
    if store == "redis":
        limits = {"REDIS_URL": REDIS_URL, "RATE_LIMIT_PREFIX": f"cobrand-test-{uuid.uuid4().hex}"}
    flask_app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": migrated_sqlite(tmp_path / "app.db"),
            "TASKS_INLINE": True,
            "STORAGE_DIR": str(tmp_path / "storage"),
            "SYNDICATION_CACHE_SECONDS": 0,
            **limits,
            **config,
        }
    )
    return compile_cache.share_templates(flask_app)


def close_file_app(flask_app: Flask) -> None:
    """Dispose of the database and drop the app's Redis counters (never anything else)."""
    flask_app.extensions["cobrand.db"].engine.dispose()
    prefix = flask_app.config.get("RATE_LIMIT_PREFIX", "")
    if flask_app.config["REDIS_URL"] and prefix.startswith("cobrand-test-"):
        conn = flask_app.extensions["cobrand.limiter"].strategy.storage.storage
        for key in conn.scan_iter(f"{prefix}*"):
            conn.delete(key)
        conn.connection_pool.disconnect()


@contextmanager
def racy_threads() -> Iterator[None]:
    """Switch threads far more often than the default 5 ms, so that a check-then-act gap of a
    few bytecodes is reliably hit by another thread (as it is, in time, under real load)."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


ORIGIN = "https://shop.example.com"


@dataclass
class PublicSite:
    """What the public sees of one partner: an embed showing a banner, a product and a form,
    and a published brochure with a landing page (a tracked link, token downloads)."""

    key: str
    embed_id: int
    banner: int
    product: int
    form: int
    asset_id: int
    link_code: str
    token: str  # a partner user's API bearer token
    partner_id: int


def seed_public_site(flask_app: Flask) -> PublicSite:
    import datetime as dt

    from prm_domain import assets, auth, brandkits, rendering
    from prm_domain.syndication import embeds, items
    from tests.library_fixtures import brochure, png

    storage = flask_app.extensions["cobrand.storage"]
    db = Committed(flask_app.extensions["cobrand.db"].engine, sessionmaker())
    with flask_app.app_context(), flask_app.extensions["cobrand.db"].sessionmaker() as s:
        partner = db.partner(s)
        vendor = db.user(s, Role.VENDOR_ADMIN)
        admin = db.user(s, Role.PARTNER_ADMIN, partner.id)

        def item(kind: str, content: dict[str, Any]) -> int:
            return items.create_item(
                s, vendor, {"kind": kind, "title": kind, "content": content}
            ).id

        banner = item(
            "banner", {"headline": "New", "cta_label": "Go", "cta_url": "https://nimbus.example/"}
        )
        product = item("product", {"name": "Backup", "url": "https://nimbus.example/backup"})
        form = item(
            "lead_form", {"fields": ["name", "email"], "consent_text": "I agree to be contacted."}
        )
        embed = embeds.create_embed(
            s, admin, partner.id, {"kind": "block", "allowed_domains": ["shop.example.com"]}
        )
        brandkits.set_logo(s, admin, storage, partner.id, "light", png())
        asset = assets.create_asset(
            s, vendor, "pdf", {"name": "Brochure", "landing_url": "https://nimbus.example/land"}
        )
        assets.add_version(s, vendor, storage, asset.id, "b.pdf", brochure(1))
        assets.publish(s, vendor, asset.id)
        link = rendering.link_for(s, partner.id, asset.id)
        token, _ = auth.issue_token(s, admin, dt.timedelta(hours=1))
        s.commit()
        return PublicSite(
            embed.key, embed.id, banner, product, form, asset.id, link.code, token, partner.id
        )


def public_site(tmp_path: Path, store: str, **config: Any) -> Iterator[tuple[Flask, PublicSite]]:
    """For a fixture to ``yield from``: a file app (see ``file_app``) with its public site, closed
    after."""
    flask_app = file_app(tmp_path, store, **config)
    try:
        yield flask_app, seed_public_site(flask_app)
    finally:
        close_file_app(flask_app)
