"""The main menu walked in headless Chromium: groups open by pointer and keyboard, their links
work, and on a phone (390 px) neither the menu nor the pages behind it overflow sideways."""

from __future__ import annotations

from typing import Any

import pytest

from tests.app.conftest import Portal, screenshot, sign_in

pytestmark = pytest.mark.browser

VENDOR = "vendor@nimbus.example"
ALPINE = "admin@alpine.example"

OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def header_height(page: Any) -> float:
    return float(page.evaluate("document.querySelector('.topbar').getBoundingClientRect().height"))


def test_a_group_opens_by_click_and_keyboard_and_its_link_works(
    browse: Any, portal: Portal
) -> None:
    page = browse(VENDOR)
    # The whole menu is one line on a laptop: the brand, six entries, no wrapping.
    assert header_height(page) < 70, header_height(page)
    routing = page.locator("#mainnav a", has_text="Lead routing")
    assert not routing.is_visible()  # folded inside "Pipeline"
    page.click("summary:has-text('Pipeline')")
    assert routing.is_visible()
    screenshot(page, "nav-vendor-pipeline")
    with page.expect_navigation():
        routing.click()
    assert page.url.endswith("/lead-routing")
    # The page's own link says so, and its group is marked; the menu is closed again.
    assert page.get_attribute("a[aria-current=page]", "href") == "/lead-routing"
    assert page.locator(".nav-group[data-current] > summary").inner_text() == "Pipeline"

    # Keyboard: Tab to a group, Enter opens it, Tab reaches its first link, Escape closes it
    # and leaves the cursor on the group.
    page.focus("summary:has-text('Partners')")
    page.keyboard.press("Enter")
    assert page.locator("#mainnav a", has_text="Onboarding rules").is_visible()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Partners"  # its first link
    page.keyboard.press("Escape")
    assert not page.locator("#mainnav a", has_text="Onboarding rules").is_visible()
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"
    # One group open at a time; a click elsewhere closes it.
    page.click("summary:has-text('Content')")
    page.click("summary:has-text('Programs')")
    assert page.locator(".nav-group[open]").count() == 1
    page.click("h1")
    assert page.locator(".nav-group[open]").count() == 0
    assert page.errors == [], page.errors


@pytest.mark.parametrize(
    ("email", "group", "link", "path"),
    [
        (VENDOR, "Programs", "Manage training", "/training/manage"),
        (ALPINE, "Organisation", "My organisation", "/organisation"),
    ],
)
def test_on_a_phone_the_menu_folds_and_nothing_overflows(
    browse: Any, portal: Portal, email: str, group: str, link: str, path: str
) -> None:
    page = browse(email, width=390, height=800)
    assert page.evaluate(OVERFLOW) <= 0
    assert not page.locator("#mainnav").is_visible()
    page.click("button.nav-toggle")
    page.click(f"summary:has-text('{group}')")
    target = page.locator("#mainnav a", has_text=link)
    assert target.is_visible()
    assert page.evaluate(OVERFLOW) <= 0  # the open menu fits the screen
    panel = page.locator(".nav-group[open] .nav-panel").bounding_box()
    assert panel and panel["x"] >= 0 and panel["x"] + panel["width"] <= 390
    screenshot(page, f"nav-phone-{group.lower()}")
    with page.expect_navigation():
        target.click()
    assert page.url.endswith(path)
    for other in ("/", "/training", "/deals", "/leads" if email == ALPINE else "/partners"):
        page.goto(f"{portal.url}{other}")
        assert page.evaluate(OVERFLOW) <= 0, other
    assert page.errors == [], page.errors


def test_without_javascript_the_menu_stays_open_and_its_groups_work(
    chromium: Any, portal: Portal
) -> None:
    context = chromium.new_context(
        viewport={"width": 390, "height": 800}, java_script_enabled=False
    )
    try:
        page = context.new_page()
        sign_in(page, portal, VENDOR)
        assert not page.locator("button.nav-toggle").is_visible()  # it needs the script
        assert page.locator("#mainnav").is_visible()
        page.click("summary:has-text('Partners')")
        with page.expect_navigation():
            page.click("#mainnav a:has-text('Tiers')")
        assert page.url.endswith("/tiers")
        assert page.evaluate(OVERFLOW) <= 0
    finally:
        context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_table_cells_wrap_at_spaces_and_wide_tables_scroll_in_their_box(
    browse: Any, portal: Portal, width: int
) -> None:
    page = browse(VENDOR, width=width)
    page.goto(f"{portal.url}/partners")
    styles = page.evaluate(
        """() => [...document.querySelectorAll('main table.table td')].map(td => {
             const s = getComputedStyle(td); return s.overflowWrap + ' ' + s.wordBreak; })"""
    )
    assert styles and set(styles) == {"break-word normal"}, set(styles)
    # Each table sits in a box of its own that scrolls sideways, never the page.
    assert page.locator("main .table-scroll > table.table").count() >= 1
    page.evaluate(
        """() => { const td = document.querySelector('main table.table td');
             td.textContent = 'Unbreakable'.repeat(30); }"""
    )
    assert page.evaluate(OVERFLOW) <= 0


def test_a_refusal_after_a_redirect_puts_the_message_next_to_its_field(
    browse: Any, portal: Portal
) -> None:
    page = browse(ALPINE)
    page.goto(f"{portal.url}/organisation")
    page.fill("input[name=display_name]", "Second Admin")
    page.fill("input[name=email]", ALPINE)  # already a member: refused, then redirected back
    page.fill("input[name=password]", "a-long-enough-password")
    with page.expect_navigation():
        page.click("button:has-text('Add user')")
    message = page.locator("label:has(input[name=email]) .field-error")
    assert message.inner_text() == "Already a member"
    assert page.evaluate("document.activeElement.name") == "email"
    assert page.get_attribute("input[name=email]", "aria-invalid") == "true"
    # The summary on top says it once, in the domain's own words (no "Email: ..." repeated).
    summary = page.locator(".flash-error").inner_text()
    assert "already a member" in summary and "Email:" not in summary, summary


def test_on_a_phone_a_stacked_cell_with_parts_shrinks_to_the_screen(
    browse: Any, portal: Portal
) -> None:
    """A cell of a stacked row that holds elements (a link to a long address, a name beside
    its code) wraps them beside its label instead of widening its table past the screen."""
    page = browse(VENDOR, width=390)
    page.goto(f"{portal.url}/partners")
    page.evaluate(
        """() => { const cells = document.querySelectorAll('main table.table td[data-label]');
             cells[0].innerHTML = '<a href="#">https://crm.example.com/hooks/'
               + 'segment/'.repeat(8) + '</a>';
             cells[1].innerHTML = '<span><strong>Nimbus technical certification</strong> '
               + '<span class="muted">NIMBUS_TECHNICAL_CERTIFICATION_CODE</span></span>'; }"""
    )
    spill = page.evaluate(
        """() => [...document.querySelectorAll('main .table-scroll')]
             .map(box => box.scrollWidth - box.clientWidth)"""
    )
    assert spill and max(spill) <= 0, spill
    assert page.evaluate(OVERFLOW) <= 0
