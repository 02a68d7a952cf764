"""The suite in parallel: ``scripts/test`` runs pytest-xdist workers (``-n``, ``--dist loadgroup``).

What a worker shares with the others, and how it keeps apart (tests/conftest.py applies this):

- Postgres: every engine works in a schema of its own with a random name (tests/conftest.py,
  tests/concurrency.py); tests that open dozens of connections at once run one at a time
  (``CONNECTION_HEAVY``), so together they stay under the server's ``max_connections``.
- Redis: each worker gets its own database, TEST_REDIS_URL's number plus the worker's index
  (gw0 keeps it, gw1 adds one, ...), and inside it every test still uses keys, queues and
  prefixes of its own, and deletes only those.
- Ports are ephemeral (bound to port 0), temporary folders come from pytest's ``tmp_path``, which
  xdist gives each worker under its own base folder.

Scheduling: a module whose tests share a module-scoped fixture (a served app, Chromium, seeded
data) goes to one worker as a whole, so the fixture is built once; everything else is handed out
test by test. The long tests go first, so that no worker starts one when the others are done.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

import pytest

# Tests that each open dozens of Postgres connections at once: never two of them at a time.
CONNECTION_HEAVY = {
    "tests/prm_domain/test_concurrency.py",
    "tests/prm_domain/test_campaigns_concurrency.py",
    "tests/prm_domain/test_lead_concurrency.py",
    "tests/prm_domain/test_mdf_concurrency.py",
    "tests/syndication/test_concurrency.py",
}
REDIS_DATABASES = 16  # Redis's default `databases`


def worker_index() -> int | None:
    """0, 1, ... in an xdist worker (PYTEST_XDIST_WORKER is gw0, gw1, ...); None otherwise."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(name.removeprefix("gw")) if name.startswith("gw") else None


def worker_redis_url(url: str, index: int) -> str:
    """TEST_REDIS_URL moved to database ``base + index``."""
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    db = base + index
    if db >= REDIS_DATABASES:
        raise pytest.UsageError(
            f"TEST_REDIS_URL uses database {base}; worker {index} would need database {db}, "
            f"but Redis has {REDIS_DATABASES}: use a lower database number or fewer workers"
        )
    return urlunsplit(parts._replace(path=f"/{db}"))


def isolate_redis() -> None:
    """Give this worker its own Redis database (the Celery workers it starts inherit it)."""
    index = worker_index()
    url = os.environ.get("TEST_REDIS_URL")
    if index is not None and url:
        os.environ["TEST_REDIS_URL"] = worker_redis_url(url, index)


def _module_scoped(item: pytest.Item) -> bool:
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    return any(
        d.scope in ("module", "class", "package")
        for defs in info.name2fixturedefs.values()
        for d in defs
    )


def group_of(item: pytest.Item) -> str | None:
    path = item.nodeid.split("::", 1)[0]
    if path in CONNECTION_HEAVY:
        return "postgres-connections"
    if _module_scoped(item):
        return path
    return None


def label_postgres_connections(nodeid: str) -> None:
    """libpq reads PGAPPNAME at each connect: worker and test, cut to Postgres's 63 bytes."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    os.environ["PGAPPNAME"] = f"{worker} {nodeid.rsplit('/', 1)[-1]}"[:63]


def add_group(item: pytest.Item) -> None:
    if group := group_of(item):
        item.add_marker(pytest.mark.xdist_group(group))


def longest_first(items: list[pytest.Item]) -> None:
    """Reorder (stably): slow-marked tests, then groups (the larger first), then the rest."""
    sizes: dict[str, int] = {}
    for item in items:
        if group := group_of(item):
            sizes[group] = sizes.get(group, 0) + 1

    def rank(item: pytest.Item) -> tuple[int, int]:
        if item.get_closest_marker("slow"):
            return (0, 0)
        if group := group_of(item):
            return (1, -sizes[group])
        return (2, 0)

    key: Callable[[pytest.Item], tuple[int, int]] = rank
    items.sort(key=key)
