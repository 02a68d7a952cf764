"""Scorecards in headless Chromium: the vendor ranks partners (sort, search, open one), a
partner admin sees "My scorecard" with its cards and server-drawn charts, and nobody else's."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from prm_domain.enums import DealStatus
from prm_domain.models import DealRegistration
from tests.app.conftest import Portal, screenshot

pytestmark = pytest.mark.browser


def _deal(partner_id: int, value: str, status: DealStatus, months_ago: int) -> DealRegistration:
    now = dt.datetime.now(dt.UTC)
    when = now - dt.timedelta(days=30 * months_ago)
    return DealRegistration(
        partner_id=partner_id,
        company="Browser Test Co",
        contact_name="Ann",
        contact_email="ann@browser.example",
        country="DE",
        estimated_value=Decimal(value),
        expected_close=when.date(),
        status=status,
        decided_at=when,
        created_at=when,
    )


def test_vendor_ranks_partners_and_a_partner_sees_only_its_scorecard(
    browse: Any, portal: Portal
) -> None:
    alpine, bavaria = portal.ids["alpine"], portal.ids["bavaria"]
    with portal.app.app_context(), portal.sessions() as s:
        s.add_all(
            [
                _deal(bavaria, "900.00", DealStatus.WON, 0),
                _deal(alpine, "100.00", DealStatus.WON, 2),
                _deal(alpine, "250.50", DealStatus.WON, 0),
                _deal(alpine, "10.00", DealStatus.LOST, 1),
            ]
        )
        s.commit()

    page = browse("vendor@nimbus.example")
    page.goto(f"{portal.url}/")
    page.click("nav summary:has-text('Partners')")  # the menu's group that holds it
    with page.expect_navigation():
        page.click("nav a:has-text('Scorecards')")
    rows = page.locator("table.scorecard-ranking tbody tr")
    assert rows.count() == 2
    # By revenue, highest first: Bavaria 900.00, Alpine 350.50.
    assert rows.nth(0).locator("td[data-label=Partner]").inner_text().startswith("Bavaria")
    assert rows.nth(1).locator("td[data-label=Revenue]").inner_text() == "350.50"
    assert rows.nth(1).locator("td[data-label='Win rate']").inner_text() == "66.7%"
    header = page.locator("th[aria-sort]")
    assert header.inner_text().startswith("Revenue") and header.get_attribute("aria-sort") == (
        "descending"
    )
    # Sorting by win rate puts Bavaria (1 of 1) before Alpine (2 of 3).
    with page.expect_navigation():
        page.click("th a:has-text('Win rate')")
    assert page.locator("th[aria-sort]").inner_text().startswith("Win rate")
    assert rows.nth(0).locator("td[data-label=Partner]").inner_text().startswith("Bavaria")
    screenshot(page, "scorecards-ranking", full_page=True)
    # Search by name, then an empty result says what to do.
    page.fill("input[name=q]", "alpine")
    with page.expect_navigation():
        page.click("button:has-text('Filter')")
    assert rows.count() == 1
    page.fill("input[name=q]", "nobody-has-this-name")
    with page.expect_navigation():
        page.click("button:has-text('Filter')")
    assert "No partner matches" in page.locator(".empty-state").inner_text()
    assert page.locator(".empty-state a:has-text('Show every partner')").count() == 1
    assert page.errors == [] and page.failures == []

    partner = browse("admin@alpine.example")
    partner.goto(f"{portal.url}/")
    assert partner.locator("nav a:has-text('Scorecards')").count() == 0
    partner.click("nav summary:has-text('Programs')")
    with partner.expect_navigation():
        partner.click("nav a:has-text('My scorecard')")
    assert partner.locator("h1").inner_text().startswith("My scorecard")
    revenue = partner.locator("section.metric:has(#metric-revenue)")
    assert revenue.locator(".big").inner_text() == "350.50"
    assert "▲ +350.50" in revenue.locator(".change").inner_text()
    win = partner.locator("section.metric:has(#metric-win_rate)")
    assert win.locator(".big").inner_text() == "66.7%"
    assert "2 won, 1 lost" in win.inner_text()
    # The revenue chart is an SVG with a bar per month, drawn on the server.
    chart = partner.locator("figure.chart:has(figcaption:has-text('Revenue won per month')) svg")
    assert chart.locator("rect").count() == 12
    assert chart.bounding_box()["width"] > 200  # type: ignore[index]
    screenshot(partner, "scorecards-partner", full_page=True)
    assert partner.errors == [] and partner.failures == []
    # Another partner's scorecard does not exist for it.
    response = partner.goto(f"{portal.url}/scorecards/{bavaria}")
    assert response is not None and response.status == 404
