"""Ids are never reused, and deleting an item takes it out of the embeds that chose it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

import prm_domain.models  # noqa: F401 - registers every table
from prm_domain.base import Base
from prm_domain.database import alembic_config, make_engine, upgrade
from prm_domain.enums import Role
from prm_domain.models import AuditEvent, Embed, SyndicatedItem, User
from prm_domain.syndication import embeds, items, public

BANNER = {"headline": "Nimbus 5.0 is here", "text": "Faster."}
NO_REUSE = sorted(
    t.name for t in Base.metadata.tables.values() if t.dialect_kwargs.get("sqlite_autoincrement")
)


def _item(session: Session, actor: User, title: str) -> SyndicatedItem:
    return items.create_item(session, actor, {"kind": "banner", "title": title, "content": BANNER})


def test_the_tables_whose_ids_are_referenced_never_reuse_them() -> None:
    assert {"syndicated_item", "embed", "asset", "asset_version", "tier", "partner"} <= set(
        NO_REUSE
    )
    assert {"user_account", "api_token"} <= set(NO_REUSE)


def test_a_deleted_items_id_is_never_given_to_a_new_item(
    session: Session, make_user: Callable[..., User]
) -> None:
    vendor = make_user(Role.VENDOR_ADMIN)
    _item(session, vendor, "first")
    last = _item(session, vendor, "last")
    gone = last.id
    items.delete_item(session, vendor, gone)
    # The deleted row had the largest id: exactly the case SQLite's rowid reuses.
    fresh = _item(session, vendor, "fresh")
    assert fresh.id > gone


def test_deleting_an_item_takes_it_out_of_every_embed_that_chose_it(
    session: Session, make_user: Callable[..., User], make_partner: Callable[..., Any]
) -> None:
    vendor = make_user(Role.VENDOR_ADMIN)
    partner = make_partner()
    admin = make_user(Role.PARTNER_ADMIN, partner=partner)
    keep = _item(session, vendor, "keep")
    doomed = _item(session, vendor, "doomed")
    both = embeds.create_embed(
        session,
        admin,
        partner.id,
        {"kind": "banner", "allowed_domains": ["shop.example.com"], "items": [keep.id, doomed.id]},
    )
    only = embeds.create_embed(
        session,
        admin,
        partner.id,
        {"kind": "banner", "allowed_domains": ["shop.example.com"], "items": [doomed.id]},
    )
    every = embeds.create_embed(
        session, admin, partner.id, {"kind": "banner", "allowed_domains": ["shop.example.com"]}
    )
    doomed_id = doomed.id
    items.delete_item(session, vendor, doomed_id)
    _item(session, vendor, "newcomer")
    session.expire_all()
    assert session.get(Embed, both.id).item_ids == [keep.id]  # type: ignore[union-attr]
    # An embed left with no item shows nothing rather than everything.
    assert session.get(Embed, only.id).item_ids == []  # type: ignore[union-attr]
    assert [i.title for i in public.live_items(session, session.get(Embed, only.id))] == []  # type: ignore[arg-type]
    assert session.get(Embed, every.id).item_ids is None  # type: ignore[union-attr]
    logged = session.query(AuditEvent).filter_by(action="embed.updated", object_id=both.id).one()
    assert logged.changes == {"item_ids": [[keep.id, doomed_id], [keep.id]]}


def _sql(engine: Any, table: str) -> str:
    with engine.connect() as conn:
        return str(
            conn.execute(
                text("SELECT sql FROM sqlite_master WHERE type='table' AND name=:n"), {"n": table}
            ).scalar_one()
        )


def test_sqlite_migration_rebuilds_tables_with_autoincrement_keeping_rows(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    try:
        upgrade(engine, "0003_syndication")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO tier (id, name, rank, description, mdf_share_percent,"
                    " discount_percent, content_access, created_at) VALUES"
                    " (7, 'Gold', 1, '', 0, 0, '[]', '2026-01-01')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO syndicated_item (id, kind, title, content, active,"
                    " audience_tier_ids, audience_regions, audience_partner_types,"
                    " audience_verticals, created_at, updated_at) VALUES"
                    " (41, 'banner', 'x', '{}', 1, '[7]', '[]', '[]', '[]',"
                    " '2026-01-01', '2026-01-01')"
                )
            )
        upgrade(engine)
        for table in NO_REUSE:
            assert "AUTOINCREMENT" in _sql(engine, table), table
        with engine.begin() as conn:
            assert conn.execute(text("SELECT id FROM tier")).scalars().all() == [7]
            conn.execute(text("DELETE FROM syndicated_item WHERE id = 41"))
            conn.execute(
                text(
                    "INSERT INTO syndicated_item (kind, title, content, active,"
                    " audience_tier_ids, audience_regions, audience_partner_types,"
                    " audience_verticals, created_at, updated_at) VALUES"
                    " ('banner', 'y', '{}', 1, '[]', '[]', '[]', '[]',"
                    " '2026-01-01', '2026-01-01')"
                )
            )
            assert conn.execute(text("SELECT id FROM syndicated_item")).scalars().all() == [42]
            # Foreign keys are back on after the migration, and the references still hold.
            assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
            assert conn.execute(text("PRAGMA foreign_key_check")).fetchall() == []
        assert {fk["referred_table"] for fk in inspect(engine).get_foreign_keys("embed")} == {
            "partner"
        }
        command.downgrade(alembic_config(engine), "0003_syndication")
        assert "AUTOINCREMENT" not in _sql(engine, "syndicated_item")
    finally:
        engine.dispose()


def test_rebuilding_a_parent_table_does_not_cascade_into_its_children(tmp_path: Path) -> None:
    """Without foreign keys off around the rebuild, dropping the old parent table would delete
    (ON DELETE CASCADE) or orphan every child row."""
    engine = make_engine(f"sqlite:///{tmp_path / 'c.db'}")
    try:
        upgrade(engine, "0003_syndication")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO tier (id, name, rank, description, mdf_share_percent,"
                    " discount_percent, content_access, created_at) VALUES"
                    " (1, 'Gold', 1, '', 0, 0, '[]', '2026-01-01')"
                )
            )
            columns = {c["name"] for c in inspect(conn).get_columns("partner")}
            values = {
                "id": 5,
                "name": "Acme",
                "name_key": "acme",
                "type": "reseller",
                "tier_id": 1,
                "country": "DE",
                "region": "emea",
                "verticals": "[]",
                "website_domains": "[]",
                "status": "active",
                "created_at": "2026-01-01",
                "updated_at": "2026-01-01",
            }
            values = {k: v for k, v in values.items() if k in columns}
            conn.execute(
                text(
                    f"INSERT INTO partner ({', '.join(values)}) VALUES"
                    f" ({', '.join(':' + k for k in values)})"
                ),
                values,
            )
            conn.execute(
                text(
                    "INSERT INTO embed (id, partner_id, key, name, kind, allowed_domains,"
                    " theme, enabled, created_at, updated_at) VALUES (3, 5, 'k3k3k3k3k3k3', '',"
                    " 'banner', :domains, '{}', 1, '2026-01-01', '2026-01-01')"
                ),
                {"domains": '["shop.example.com:443", "b.example:80", "c.example:8080"]'},
            )
        upgrade(engine)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT partner_id FROM embed")).scalars().all() == [5]
            # Hosts saved with a default port before now match their Origin.
            domains = conn.execute(text("SELECT allowed_domains FROM embed")).scalar_one()
            assert json.loads(domains) == ["b.example", "c.example:8080", "shop.example.com"]
    finally:
        engine.dispose()
