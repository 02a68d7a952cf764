"""The public side under real concurrency on Postgres: identical leads and event beacons sent
at once, each on its own connection and committing (tests/concurrency.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from prm_domain.enums import Role
from prm_domain.models import Embed, EmbedDailyStat, Lead, Notification
from prm_domain.syndication import embeds, items, leads
from tests.concurrency import Committed, committed_postgres, in_parallel

pytestmark = pytest.mark.postgres
SECRET = "concurrency-test-secret"  # signs the page-view tokens of these tests only

FORM = {
    "fields": ["name", "email", "message"],
    "required": ["email"],
    "consent_text": "I agree to be contacted.",
}


@dataclass
class Site:
    embed_id: int
    form_id: int
    banner_id: int


@pytest.fixture
def db() -> Iterator[Committed]:
    yield from committed_postgres()


@pytest.fixture
def site(db: Committed) -> Site:
    with db.sessions() as s:
        partner = db.partner(s)
        vendor = db.user(s, Role.VENDOR_ADMIN)
        admin = db.user(s, Role.PARTNER_ADMIN, partner.id)
        form = items.create_item(
            s, vendor, {"kind": "lead_form", "title": "Talk to us", "content": FORM}
        )
        banner = items.create_item(
            s,
            vendor,
            {
                "kind": "banner",
                "title": "Launch",
                "content": {
                    "headline": "New",
                    "cta_label": "Go",
                    "cta_url": "https://nimbus.example/5",
                },
            },
        )
        embed = embeds.create_embed(
            s, admin, partner.id, {"kind": "block", "allowed_domains": ["shop.example.com"]}
        )
        s.commit()
        return Site(embed.id, form.id, banner.id)


def _submit(db: Committed, site: Site, email: str = "dana@buyer.example") -> bool:
    with db.sessions() as s:
        embed = s.get(Embed, site.embed_id)
        assert embed is not None
        _, created = leads.submit_lead(
            s,
            embed,
            form_id=site.form_id,
            fields={"name": "Dana", "email": email, "message": "Call me"},
            consent=True,
        )
        s.commit()
        return created


def test_identical_leads_sent_at_once_are_stored_once(db: Committed, site: Site) -> None:
    results = in_parallel(50, lambda _: _submit(db, site))

    assert [r for r in results if isinstance(r, BaseException)] == []
    assert results.count(True) == 1  # the rest were acknowledged as duplicates
    with db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Lead)) == 1
        assert s.scalar(select(func.count()).select_from(Notification)) == 1
        leads_counted = s.scalar(select(EmbedDailyStat.leads).where(EmbedDailyStat.item_id == 0))
        assert leads_counted == 1
    # Another address is another lead, and the same one again is still a duplicate.
    assert _submit(db, site, "eve@buyer.example") is True
    assert _submit(db, site, "DANA@buyer.example") is False


def test_one_page_view_counts_once_however_many_send_it_at_once(db: Committed, site: Site) -> None:
    from prm_domain.errors import ValidationError
    from prm_domain.syndication import events, page_views

    batch = [
        {"type": "impression", "item_id": site.banner_id},
        {"type": "click", "item_id": site.banner_id},
    ]
    with db.sessions() as s:
        embed = s.get(Embed, site.embed_id)
        assert embed is not None
        # The token the content answer gave one page view (page_views.issue, as the view does).
        token = page_views.issue(SECRET, embed.key)

    def send(i: int, view: str = token) -> int:
        with db.sessions() as s:
            embed = s.get(Embed, site.embed_id)
            assert embed is not None
            # Half send the pair once, half the pair 50 times over (100 events).
            counted = events.record(
                s, embed, batch if i % 2 else batch * 50, {site.banner_id}, view, secret=SECRET
            )
            s.commit()
            return counted

    results = in_parallel(50, send)

    assert [r for r in results if isinstance(r, BaseException)] == []
    assert sum(results) == 2  # type: ignore[arg-type]
    # A script's own page-view ids, one per request, all at once: none counts.
    made_up = in_parallel(50, lambda i: send(i, f"pv-made-up-{i:04d}-{i * 7919:x}"))
    assert all(isinstance(r, ValidationError) for r in made_up), made_up
    with db.sessions() as s:
        rows = {
            r.item_id: (r.impressions, r.clicks)
            for r in s.scalars(
                select(EmbedDailyStat).where(EmbedDailyStat.embed_id == site.embed_id)
            )
        }
    assert rows == {0: (1, 1), site.banner_id: (1, 1)}
