"""Counters and versions under real concurrency: 30 threads, each its own Postgres connection,
editing and committing at once (tests/concurrency.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from prm_domain import assets, brandkits, rendering
from prm_domain.enums import Role
from prm_domain.models import BrandKit
from prm_domain.storage import LocalStorage
from tests.concurrency import Committed, committed_postgres, in_parallel
from tests.library_fixtures import NEWSLETTER, png

pytestmark = pytest.mark.postgres

EDITS = 30


@pytest.fixture
def db() -> Iterator[Committed]:
    yield from committed_postgres()


def _partner_and_admin(db: Committed) -> tuple[int, int]:
    with db.sessions() as s:
        partner = db.partner(s)
        admin = db.user(s, Role.PARTNER_ADMIN, partner.id)
        s.commit()
        return partner.id, admin.id


def _edit(db: Committed, partner_id: int, admin_id: int, values: dict[str, str]) -> int:
    from prm_domain.models import User

    with db.sessions() as s:
        actor = s.get(User, admin_id)
        assert actor is not None
        kit = brandkits.update_brand_kit(s, actor, partner_id, values)
        s.commit()
        return kit.version


@pytest.mark.parametrize("kit_exists", [True, False], ids=["existing-kit", "first-kit"])
def test_parallel_edits_each_get_their_own_version(db: Committed, kit_exists) -> None:
    partner_id, admin_id = _partner_and_admin(db)
    start = _edit(db, partner_id, admin_id, {"contact_name": "Start"}) if kit_exists else 0

    results = in_parallel(
        EDITS, lambda i: _edit(db, partner_id, admin_id, {"contact_phone": f"+49 30 {i:04d}"})
    )

    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == []
    # Every edit committed a version of its own: none was lost, none was handed out twice.
    assert sorted(results) == list(range(start + 1, start + EDITS + 1))  # type: ignore[type-var]
    with db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(BrandKit)) == 1
        assert s.scalar(select(BrandKit.version)) == start + EDITS


def test_a_render_after_parallel_edits_shows_the_current_kit(db: Committed, tmp_path: Path) -> None:
    """The render cache is keyed by the kit: after a burst of edits, the file carries the last."""
    from prm_domain.models import Partner, User

    storage = LocalStorage(tmp_path)
    partner_id, admin_id = _partner_and_admin(db)
    with db.sessions() as s:
        vendor = db.user(s, Role.VENDOR_ADMIN)
        brandkits.set_logo(s, vendor, storage, partner_id, "light", png())
        asset = assets.create_asset(s, vendor, "email", {"name": "Newsletter"})
        assets.add_version(s, vendor, storage, asset.id, "n.mjml", NEWSLETTER.encode())
        assets.publish(s, vendor, asset.id)
        s.commit()
        asset_id = asset.id

    def render() -> str:
        with db.sessions() as s:
            actor, partner = s.get(User, admin_id), s.get(Partner, partner_id)
            assert actor is not None and partner is not None
            out = rendering.render_for(s, actor, storage, asset_id, None, "txt", "https://x")
            s.commit()
            return out.data.decode()

    def edit_then_render(i: int) -> str:
        _edit(db, partner_id, admin_id, {"contact_phone": f"+49 30 {i:04d}"})
        return render()

    for _ in range(3):
        results = in_parallel(EDITS, edit_then_render)
        assert [r for r in results if isinstance(r, BaseException)] == []
        with db.sessions() as s:
            current = s.scalar(select(BrandKit.contact_phone))
        assert f"Call {current}" in render()
