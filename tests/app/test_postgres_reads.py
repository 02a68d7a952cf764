"""Pages and API lists on Postgres as a web process serves them, on real commits (no test
transaction around them): a GET reads outside a transaction (prm_domain.database sends BEGIN
only before a write) and writes nothing; a POST's writes are one transaction and persist."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from prm_domain.database import upgrade
from prm_domain.enums import PartnerStatus, PartnerType, Region, Role
from prm_domain.models import Embed, Partner, Tier, User
from tests.conftest import PASSWORD, drop_postgres_schema, postgres_engine
from tests.requirements import need_env

pytestmark = pytest.mark.postgres


@pytest.fixture
def served(tmp_path: Path, password_hash: str) -> Iterator[tuple[Flask, dict[str, str]]]:
    """The app on a fresh Postgres schema with a partner admin and a vendor admin."""
    base = need_env("TEST_DATABASE_URL", "Postgres for reads outside a transaction")
    schema = f"r_{uuid.uuid4().hex[:12]}"
    engine = postgres_engine(schema)
    upgrade(engine)
    emails = {"partner": f"p-{schema}@example.com", "vendor": f"v-{schema}@example.com"}
    with Session(engine) as s:
        tier = Tier(
            name="Gold", rank=1, description="", mdf_share_percent=Decimal("2.50"),
            discount_percent=Decimal("10.00"), content_access=["standard"],
        )  # fmt: skip
        s.add(tier)
        s.flush()
        partner = Partner(
            name="Alpine IT", name_key="alpine it", type=PartnerType.RESELLER, tier_id=tier.id,
            country="DE", region=Region.EMEA, status=PartnerStatus.ACTIVE,
        )  # fmt: skip
        s.add(partner)
        s.flush()
        for kind, role in (("partner", Role.PARTNER_ADMIN), ("vendor", Role.VENDOR_ADMIN)):
            s.add(
                User(
                    email=emails[kind],
                    password_hash=password_hash,
                    display_name=kind,
                    role=role,
                    partner_id=None if role.is_vendor else partner.id,
                )
            )
        s.commit()
    engine.dispose()
    from app import create_app

    sep = "&" if "?" in base else "?"
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "reads-test",
            "DATABASE_URL": f"{base}{sep}options=-csearch_path%3D{schema}",
            "REDIS_URL": None,
            "TASKS_INLINE": True,
            "STORAGE_DIR": str(tmp_path / "storage"),
        }
    )
    try:
        yield app, emails
    finally:
        app.extensions["cobrand.db"].engine.dispose()
        drop_postgres_schema(schema)


def _signed_in(app: Flask, email: str) -> Any:
    client = app.test_client()
    client.get("/sign-in")
    with client.session_transaction() as cookie:
        csrf = cookie.get("csrf")
    r = client.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": csrf})
    assert r.status_code == 302
    return client


def test_a_get_sends_no_begin_and_a_post_commits(served: tuple[Flask, dict[str, str]]) -> None:
    app, emails = served
    engine = app.extensions["cobrand.db"].engine
    began: list[str] = []

    # Registered after make_engine's hook: it sees what that hook did before the statement.
    @event.listens_for(engine, "before_cursor_execute")
    def _after_hook(_c: Any, cursor: Any, statement: str, *_: Any) -> None:
        if cursor.connection.info.transaction_status.name != "IDLE":
            began.append(" ".join(statement.split())[:80])

    pages = ["/", "/library", "/library?q=50%25_off", "/leads", "/embeds", "/account/password"]
    api = ["/api/v1/assets", "/api/v1/leads", "/api/v1/embeds", "/api/v1/me"]
    for who in ("partner", "vendor"):
        client = _signed_in(app, emails[who])
        token = client.post("/api/v1/tokens", json={"email": emails[who], "password": PASSWORD})
        assert token.status_code == 201, token.json
        bearer = {"Authorization": f"Bearer {token.json['token']}"}
        for _ in range(7):  # past psycopg's prepare_threshold: prepared statements too
            began.clear()
            for path in pages:
                assert client.get(path).status_code == 200, (who, path)
            for path in api:
                assert client.get(path, headers=bearer).status_code == 200, (who, path)
            assert began == [], f"{who}: GETs ran in a transaction: {began}"

    # A write through the API: one transaction, committed, seen by another connection.
    client = _signed_in(app, emails["partner"])
    token = client.post("/api/v1/tokens", json={"email": emails["partner"], "password": PASSWORD})
    r = client.post(
        "/api/v1/embeds",
        json={"kind": "resources", "allowed_domains": ["alpine.example"], "name": "Site"},
        headers={"Authorization": f"Bearer {token.json['token']}"},
    )
    assert r.status_code == 201, r.json
    assert began, "the write went out with no BEGIN"
    with engine.connect() as other:
        assert other.scalar(select(func.count()).select_from(Embed)) == 1
        assert other.scalar(text("SELECT count(*) FROM audit_event")) >= 1
