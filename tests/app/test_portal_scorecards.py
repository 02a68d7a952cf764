"""Scorecard pages: the vendor's ranking (sort, search, tier, pages, empty states), a
partner's own scorecard, and nobody else's; tenancy for every route of the blueprint."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest

from prm_domain.enums import DealStatus, Role
from prm_domain.models import DealRegistration
from tests.app.test_portal import (  # noqa: F401 - fast_argon2 and password_hash are fixtures
    fast_argon2,
    nav_links,
    password_hash,
    text_of,
)
from tests.app.test_portal_tenancy import snapshot

CROSS_TENANT_CASES: list[tuple[str, str]] = [("/scorecards/<id:partner_id>", "GET")]


@pytest.fixture
def world(make_partner: Any, make_user: Any, make_tier: Any, session: Any) -> dict[str, Any]:
    gold = make_tier(name="Gold Scorecard")
    acme = make_partner(name="Acme Scorecard Reseller", tier=gold)
    other = make_partner(name="Other Scorecard Org")
    now = dt.datetime.now(dt.UTC)
    for partner, value in ((acme, "1200.00"), (other, "80.00")):
        session.add(
            DealRegistration(
                partner_id=partner.id,
                company="Won Co",
                contact_name="Ann",
                contact_email="ann@won.example",
                country="DE",
                estimated_value=Decimal(value),
                expected_close=now.date(),
                status=DealStatus.WON,
                decided_at=now,
            )
        )
    w = {
        "vendor": make_user(Role.MARKETING_MANAGER),
        "acme": acme,
        "other": other,
        "gold": gold,
        "acme_admin": make_user(Role.PARTNER_ADMIN, acme),
        "acme_user": make_user(Role.PARTNER_USER, acme),
        "other_admin": make_user(Role.PARTNER_ADMIN, other),
        "other_user": make_user(Role.PARTNER_USER, other),
    }
    session.commit()
    return w


def test_vendor_ranking_sorts_searches_filters_and_says_when_empty(client, sign_in_as, world):
    sign_in_as(world["vendor"])
    html = text_of(client.get("/"))
    assert "/scorecards" in nav_links(html) and "Scorecards" in html
    page = text_of(client.get("/scorecards?q=Scorecard"))
    assert page.index("Acme Scorecard Reseller") < page.index("Other Scorecard Org")
    assert "1,200.00" in page and 'aria-sort="descending"' in page
    page = text_of(client.get("/scorecards?q=Scorecard&sort=revenue&order=asc"))
    assert page.index("Other Scorecard Org") < page.index("Acme Scorecard Reseller")
    page = text_of(client.get(f"/scorecards?q=Scorecard&tier_id={world['gold'].id}"))
    assert "Acme Scorecard Reseller" in page and "Other Scorecard Org" not in page
    empty = text_of(client.get("/scorecards?q=nobody-by-this-name"))
    assert "No partner matches" in empty and "Show every partner" in empty
    # Nonsense in the query string is ignored, not a 500 or a 422 page.
    for query in ("sort=password&order=up", "page=0", "page=99999999", "tier_id=x"):
        assert client.get(f"/scorecards?{query}").status_code == 200, query
    # A control character in the search is explained beside the box, in words.
    bad = text_of(client.get("/scorecards?q=Acme%00"))
    assert 'id="q-error"' in bad and "control characters" in bad and "Acme Scorecard" in bad
    r = client.get(f"/scorecards/{world['acme'].id}")
    assert r.status_code == 200
    assert "Acme Scorecard Reseller" in text_of(r) and "Revenue won per month" in text_of(r)
    assert client.get("/scorecards/2000000000").status_code == 404


def test_partner_admin_sees_my_scorecard_only(client, sign_in_as, world):
    sign_in_as(world["acme_admin"])
    html = text_of(client.get("/"))
    assert "My scorecard" in html and "/scorecards" in nav_links(html)
    mine = text_of(client.get("/scorecards"))
    assert "My scorecard" in mine and "1,200.00" in mine and "<svg" in mine
    assert "Other Scorecard Org" not in mine
    assert client.get(f"/scorecards/{world['acme'].id}").status_code == 200


def test_partner_user_has_no_scorecard_link_or_page(client, sign_in_as, world):
    sign_in_as(world["acme_user"])
    assert "/scorecards" not in nav_links(text_of(client.get("/")))
    assert client.get("/scorecards").status_code == 403


def test_another_organisation_gets_404_and_changes_nothing(client, sign_in_as, session, world):
    for actor in (world["other_admin"], world["other_user"]):
        sign_in_as(actor)
        before = snapshot(session)
        r = client.get(f"/scorecards/{world['acme'].id}")
        assert r.status_code == 404
        assert "Acme Scorecard" not in text_of(r) and "1,200.00" not in text_of(r)
        assert snapshot(session) == before


def test_cross_tenant_cases_cover_every_scorecard_route_with_an_id(app):
    rules = {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("portal_scorecards.") and rule.arguments
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert rules == set(CROSS_TENANT_CASES)


def test_partner_scorecard_and_tier_pages_link_to_each_other(client, sign_in_as, world):
    acme = world["acme"].id
    sign_in_as(world["vendor"])
    partner = text_of(client.get(f"/partners/{acme}"))
    assert f'href="/scorecards/{acme}"' in partner and f'href="/partners/{acme}/tier"' in partner
    card = text_of(client.get(f"/scorecards/{acme}"))
    assert f'href="/partners/{acme}"' in card and f'href="/partners/{acme}/tier"' in card
    assert f'href="/scorecards/{acme}"' in text_of(client.get(f"/partners/{acme}/tier"))
    # A page below a menu link (this partner's scorecard) marks the link's group as current.
    assert re.search(r"<details class=\"nav-group\" data-current>\s*<summary>Partners<", card)
    assert "data-within" in card and card.count('aria-current="page"') == 0
    sign_in_as(world["acme_admin"])
    own = _related(text_of(client.get("/scorecards")))
    assert f'href="/partners/{acme}/tier"' in own and "Your tier" in own
    assert 'href="/scorecards"' in _related(text_of(client.get(f"/partners/{acme}/tier")))
    organisation = _related(text_of(client.get("/organisation")))
    assert f'href="/partners/{acme}/tier"' in organisation and 'href="/scorecards"' in organisation
    # Without the right to scorecards, no link to one (it would be a refusal).
    sign_in_as(world["acme_user"])
    page = client.get(f"/partners/{acme}")
    assert page.status_code == 200 and f'href="/partners/{acme}/tier"' in text_of(page)
    assert "/scorecards/" not in text_of(page)
    assert "/scorecards" not in text_of(client.get(f"/partners/{acme}/tier"))
    assert "Your tier" in _related(text_of(client.get("/organisation")))


def _related(html: str) -> str:
    """The page's own links to related pages (the menu has links of the same addresses)."""
    found = re.search(r'<p class="related-links">(.*?)</p>', html, re.S)
    assert found, "no related links on the page"
    return found.group(1)
