"""Shared fixtures: real databases (SQLite always, Postgres with TEST_DATABASE_URL), one
transaction per test rolled back at the end (SQLAlchemy's savepoint recipe), factories."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from prm_domain import auth, changes
from prm_domain.database import make_engine, upgrade
from prm_domain.enums import PartnerStatus, PartnerType, Region, Role
from prm_domain.models import Partner, Tier, User
from prm_domain.passwords import hash_password
from tests import compile_cache, parallel, requirements

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct-horse-battery"

# Every test's app compiles its URL builders and templates once per process, not once per app.
compile_cache.share_url_builders()

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


# The CI gate (tests/requirements.py): under CI=true a run without its services is refused, and
# a test that skipped for something missing fails with the reason.
def pytest_sessionstart(session: pytest.Session) -> None:
    requirements.check_ci_services()


def pytest_configure(config: pytest.Config) -> None:
    # Before any test module reads TEST_REDIS_URL (tests/parallel.py says what else is apart).
    parallel.isolate_redis()


def pytest_itemcollected(item: pytest.Item) -> None:
    # In an xdist worker only: a serial run has no use for the groups, nor the order below.
    if parallel.worker_index() is not None:
        parallel.add_group(item)


@pytest.hookimpl(trylast=True)  # after pytest's own grouping by fixture
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if parallel.worker_index() is not None:
        parallel.longest_first(items)


def pytest_runtest_setup(item: pytest.Item) -> None:
    # Postgres connections opened from here on (this process's and its subprocesses') carry the
    # test's name in pg_stat_activity.application_name: a connection left open names its owner.
    parallel.label_postgres_connections(item.nodeid)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    requirements.gate(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Any:
    report = yield
    requirements.gate(report)
    return report


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for gap in requirements.local_gaps():
        terminalreporter.write_line(f"not run: {gap} (CI=true refuses this)", yellow=True)


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    return requirements.need_tool("chromium", "chromium")


@pytest.fixture(scope="session")
def chromium_browser(chromium_path: str) -> Iterator[Any]:
    """Headless Chromium (Debian's, not Playwright's download), one per test process: every
    browser test module opens its pages in fresh contexts of it."""
    sync_api: Any = requirements.need_module("playwright.sync_api", "install the dev extra")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def postgres_engine(schema: str) -> Engine:
    """An engine on TEST_DATABASE_URL confined to its own schema, so parallel runs never meet."""
    url = os.environ["TEST_DATABASE_URL"]
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return make_engine(url, connect_args={"options": f"-c search_path={schema}"})


def drop_postgres_schema(schema: str) -> None:
    admin = make_engine(os.environ["TEST_DATABASE_URL"])
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A database migrated to head by the real migrations, once per backend."""
    schema = None
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}")
    else:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        eng = postgres_engine(schema)
    upgrade(eng)
    yield eng
    eng.dispose()
    if schema:
        drop_postgres_schema(schema)


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    conn = engine.connect()
    outer = conn.begin()
    # Here a session's commit releases a savepoint (below); for the change tokens of
    # prm_domain.changes, that release is the commit.
    event.listen(conn, "release_savepoint", lambda c, *_: changes.publish_pending(c))
    yield conn
    outer.rollback()
    conn.close()


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    # Every session (the test's and each request's) joins the outer transaction through a
    # savepoint: a view's commit releases its savepoint, and the test's end rolls all back.
    return sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    s = session_factory()
    yield s
    s.close()


@pytest.fixture(scope="session")
def password_hash() -> str:
    # argon2 is slow on purpose; hash the shared test password once.
    return hash_password(PASSWORD)


@pytest.fixture
def make_tier(session: Session) -> Callable[..., Tier]:
    counter = iter(range(1, 10_000))

    def make(**kw: Any) -> Tier:
        n = next(counter)
        values: dict[str, Any] = {
            "name": f"Tier {n}",
            "rank": 100 + n,
            "description": "",
            "mdf_share_percent": Decimal("2.50"),
            "discount_percent": Decimal("10.00"),
            "content_access": ["standard"],
        }
        tier = Tier(**(values | kw))
        session.add(tier)
        session.flush()
        return tier

    return make


@pytest.fixture
def make_partner(session: Session, make_tier: Callable[..., Tier]) -> Callable[..., Partner]:
    counter = iter(range(1, 10_000))

    def make(**kw: Any) -> Partner:
        n = next(counter)
        name = kw.pop("name", f"Partner {n} {uuid.uuid4().hex[:6]}")
        tier = kw.pop("tier", None) or make_tier()
        values: dict[str, Any] = {
            "name": name,
            "name_key": name.casefold(),
            "type": PartnerType.RESELLER,
            "tier_id": tier.id,
            "country": "DE",
            "region": Region.EMEA,
            "verticals": [],
            "website_domains": [],
            "status": PartnerStatus.ACTIVE,
        }
        partner = Partner(**(values | kw))
        session.add(partner)
        session.flush()
        return partner

    return make


@pytest.fixture
def make_user(
    session: Session, password_hash: str, make_partner: Callable[..., Partner]
) -> Callable[..., User]:
    def make(
        role: Role | str = Role.PARTNER_ADMIN, partner: Partner | None = None, **kw: Any
    ) -> User:
        role = Role(role)
        if not role.is_vendor and partner is None:
            partner = make_partner()
        values: dict[str, Any] = {
            "email": f"{role.value}-{uuid.uuid4().hex[:8]}@example.com",
            "password_hash": password_hash,
            "display_name": f"Test {role.label}",
            "role": role,
            "partner_id": None if role.is_vendor else partner.id,  # type: ignore[union-attr]
        }
        user = User(**(values | kw))
        session.add(user)
        session.flush()
        return user

    return make


@pytest.fixture
def app(
    engine: Engine, connection: Connection, session_factory: sessionmaker[Session], tmp_path: Path
) -> Flask:
    from app import create_app

    flask_app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": engine.url.render_as_string(hide_password=False),
            "REDIS_URL": None,
            "TASKS_INLINE": True,
            "STORAGE_DIR": str(tmp_path / "storage"),
            # Webhook receivers and mail servers of the tests listen on loopback.
            "PUBLISH_ALLOW_PRIVATE_HOSTS": True,
        }
    )
    database = flask_app.extensions["cobrand.db"]
    database.engine.dispose()
    database.engine = engine
    database.sessionmaker = session_factory
    return compile_cache.share_templates(flask_app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class Api:
    """A test client that speaks JSON with a bearer token for one user."""

    def __init__(self, client: FlaskClient, token: str | None) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def request(self, method: str, path: str, json: Any = None, **kw: Any) -> Any:
        headers = {**self.headers, **kw.pop("headers", {})}
        # Buffered: a streamed download (a stored file, app/storage.py) is read to its end and
        # its file closed, as a server does, instead of being left open for the caller.
        kw.setdefault("buffered", True)
        return self.client.open(path, method=method, json=json, headers=headers, **kw)

    def get(self, path: str, **kw: Any) -> Any:
        return self.request("GET", path, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.request("POST", path, json, **kw)

    def patch(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.request("PATCH", path, json, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.request("DELETE", path, **kw)


@pytest.fixture
def api_as(client: FlaskClient, session: Session) -> Callable[[User | None], Api]:
    def make(user: User | None) -> Api:
        if user is None:
            return Api(client, None)
        plain, _ = auth.issue_token(session, user, dt.timedelta(hours=1))
        session.commit()
        return Api(client, plain)

    return make


@pytest.fixture
def sign_in_as(client: FlaskClient) -> Callable[[User], FlaskClient]:
    """Sign a user in through the real portal form (CSRF token included)."""

    def sign_in(user: User) -> FlaskClient:
        client.get("/sign-in")
        with client.session_transaction() as s:
            token = s.get("csrf")
        response = client.post(
            "/sign-in", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return sign_in


def csrf_of(client: FlaskClient) -> str:
    with client.session_transaction() as s:
        return str(s["csrf"])
