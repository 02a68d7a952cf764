"""The partner's "Your tier" page in headless Chromium: reached from the menu, a progress bar
per requirement toward the next tier, the grace notice and the history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from tests.app.conftest import Portal, screenshot
from tests.app.test_portal_accessibility import axe_source, violations

pytestmark = pytest.mark.browser


def test_your_tier_shows_progress_grace_and_history(browse: Any, portal: Portal) -> None:
    from prm_domain import tier_rules
    from prm_domain.enums import DealStatus, TierChangeKind
    from prm_domain.models import DealRegistration, Partner, TierChange, TierGrace, User

    now = dt.datetime.now(dt.UTC)
    with portal.app.app_context(), portal.sessions() as s:
        vendor = s.get(User, portal.ids["vendor"])
        assert vendor is not None
        tier_rules.set_requirements(s, vendor, portal.ids["silver"], {"min_revenue": "100000.00"})
        tier_rules.set_requirements(
            s,
            vendor,
            portal.ids["gold"],
            {"min_revenue": "500000.00", "min_certified": {"sales": 2}, "grace_days": 30},
        )
        bavaria = s.get(Partner, portal.ids["bavaria"])
        assert bavaria is not None
        s.add(
            DealRegistration(
                partner_id=bavaria.id,
                company="Isar Logistik AG",
                contact_name="Ida",
                contact_email="ida@isar.example",
                country="DE",
                estimated_value=Decimal("400000.00"),
                expected_close=dt.date(2027, 1, 1),
                status=DealStatus.WON,
                decided_at=now - dt.timedelta(days=20),
            )
        )
        s.add(
            TierChange(
                partner_id=bavaria.id,
                kind=TierChangeKind.PROMOTED.value,
                from_tier_id=None,
                to_tier_id=bavaria.tier_id,
                reason="meets the Silver requirements (deal Isar Logistik AG won)",
                at=now - dt.timedelta(days=20),
            )
        )
        # Alpine (Gold, nothing won) is in grace.
        outcome = tier_rules.evaluate_partner_id(s, portal.ids["alpine"], "test")
        assert outcome is not None and outcome.action == "grace_started"
        s.commit()

    page = browse("admin@bavaria.example")
    page.click("nav summary:has-text('Programs')")  # the menu's group that holds it
    with page.expect_navigation():
        page.click("nav >> text=Your tier")
    assert page.locator("h1").inner_text() == "Your tier"
    assert page.locator("[data-tier]").inner_text() == "Silver"
    revenue = page.locator("[data-next-tier] [data-requirement=revenue]")
    assert "400,000.00 of 500,000.00" in revenue.inner_text()
    assert revenue.locator("progress").get_attribute("value") == "80"
    people = page.locator("[data-next-tier] [data-requirement='certified.sales']")
    assert people.locator("progress").get_attribute("value") == "0"
    assert page.locator("[data-next-tier] h2").inner_text() == "Toward Gold: 40%"
    assert "Isar Logistik AG" in page.locator("[data-history]").inner_text()
    # The bar is drawn: as wide as its card allows, not a zero-width element.
    box = revenue.locator("progress").bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 10
    assert page.errors == [] and page.failures == []
    assert violations(page, axe_source()) == []
    screenshot(page, "tier-progress-partner", full_page=True)

    alpine = browse("admin@alpine.example", width=420)
    with alpine.expect_navigation():
        alpine.goto(f"{portal.url}/partners/{portal.ids['alpine']}/tier")
    grace = alpine.locator("[data-grace]")
    assert "keeps Gold and its benefits until" in grace.inner_text()
    assert "Grace period started" in alpine.locator("[data-history]").inner_text()
    assert violations(alpine, axe_source()) == []
    screenshot(alpine, "tier-progress-grace-phone", full_page=True)
    vendor = browse("vendor@nimbus.example")
    vendor.goto(f"{portal.url}/tier-programme")
    assert "Alpine IT Solutions" in vendor.locator("[data-in-grace]").inner_text()
    assert violations(vendor, axe_source()) == []
    with portal.app.app_context(), portal.sessions() as s:
        assert s.get(TierGrace, portal.ids["alpine"]) is not None
