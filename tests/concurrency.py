"""Real concurrency on Postgres: a committed schema of its own, and threads that start together.

The usual fixtures wrap a test in one rolled-back transaction on one connection, where nothing
can race. These helpers give each thread its own connection and session that commits, so the
database's own locking (or the lack of it) is what a test sees.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from prm_domain.database import make_engine, upgrade
from prm_domain.enums import PartnerStatus, PartnerType, Region, Role
from prm_domain.models import Partner, Tier, User
from tests.conftest import drop_postgres_schema, postgres_engine

T = TypeVar("T")


@dataclass
class Committed:
    """A migrated Postgres schema whose sessions commit for real."""

    engine: Engine
    sessions: sessionmaker[Session]

    def partner(self, s: Session, name: str | None = None) -> Partner:
        tier = Tier(
            name=f"Tier {uuid.uuid4().hex[:8]}",
            rank=100,
            description="",
            mdf_share_percent=Decimal("2.50"),
            discount_percent=Decimal("10.00"),
            content_access=["standard"],
        )
        s.add(tier)
        s.flush()
        name = name or f"Partner {uuid.uuid4().hex[:8]}"
        partner = Partner(
            name=name,
            name_key=name.casefold(),
            type=PartnerType.RESELLER,
            tier_id=tier.id,
            country="DE",
            region=Region.EMEA,
            verticals=[],
            website_domains=[],
            status=PartnerStatus.ACTIVE,
        )
        s.add(partner)
        s.flush()
        return partner

    def user(self, s: Session, role: Role, partner_id: int | None = None) -> User:
        user = User(
            email=f"{role.value}-{uuid.uuid4().hex[:8]}@example.com",
            password_hash="not-a-login",
            display_name=role.label,
            role=role,
            partner_id=partner_id,
        )
        s.add(user)
        s.flush()
        return user


def committed_postgres() -> Iterator[Committed]:
    """For a fixture to ``yield from``: skips without TEST_DATABASE_URL, drops the schema after."""
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("TEST_DATABASE_URL is not set: no Postgres for real concurrent connections")
    schema = f"c_{uuid.uuid4().hex[:12]}"
    # One connection per thread, all at once: the pool must not make them queue.
    postgres_engine(schema).dispose()  # creates the schema
    engine = make_engine(
        os.environ["TEST_DATABASE_URL"],
        connect_args={"options": f"-c search_path={schema}"},
        pool_size=60,
        max_overflow=10,
    )
    try:
        upgrade(engine)
        yield Committed(engine, sessionmaker(bind=engine, expire_on_commit=False))
    finally:
        engine.dispose()
        drop_postgres_schema(schema)


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
