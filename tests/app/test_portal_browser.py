"""The portal as people use it (issue 13), walked in headless Chromium: sign-in and form errors,
the brand kit's one save, unsaved changes on pages with several forms, keyboard, favicon,
leads, what is new, downloads, charts, long URLs, placeholders and selects."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from tests.app.conftest import Portal, png, screenshot
from tests.conftest import PASSWORD
from tests.syndication.conftest import wait_for_js

pytestmark = pytest.mark.browser

VENDOR = "vendor@nimbus.example"
ALPINE = "admin@alpine.example"
BAVARIA = "admin@bavaria.example"


def focused(page: Any) -> dict[str, Any]:
    return page.evaluate(
        "() => { const e = document.activeElement;"
        " return {tag: e.tagName, name: e.name || '', value: e.value || '',"
        " invalid: e.getAttribute('aria-invalid'), text: e.textContent.trim()}; }"
    )


# -- forms ----------------------------------------------------------------------------------


def test_failed_sign_in_puts_the_cursor_in_the_password_field(browse: Any, portal: Portal) -> None:
    page = browse()
    page.goto(f"{portal.url}/sign-in")
    assert focused(page)["name"] == "email"  # an empty form starts at the top
    page.fill("input[name=email]", ALPINE)
    page.fill("input[name=password]", "not-the-password")
    with page.expect_navigation():
        page.click("button:has-text('Sign in')")
    assert page.locator("[role=alert]").is_visible()
    now = focused(page)
    assert now["name"] == "password" and now["value"] == "", now
    assert page.input_value("input[name=email]") == ALPINE
    # The person types the password again: it lands where it belongs, and signs in.
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.rstrip("/") == portal.url
    screenshot(page, "dashboard-partner")


def test_form_errors_focus_the_first_field_needing_input_and_read_as_sentences(
    browse: Any, portal: Portal
) -> None:
    page = browse(VENDOR)
    page.goto(f"{portal.url}/partners/new")
    page.fill("input[name=name]", "Carinthia Cloud")
    page.fill("input[name=country]", "D1")
    page.fill("input[name=dpa_signed_on]", "2026-01-01")
    with page.expect_navigation():
        page.click("button:has-text('Add partner')")
    now = focused(page)
    assert now["name"] == "country" and now["invalid"] == "true", now
    message = page.locator("label:has(input[name=country]) .field-error").inner_text()
    assert message[0].isupper(), message
    described = page.get_attribute("input[name=country]", "aria-describedby") or ""
    assert page.locator(f"#{described.split()[0]}").inner_text() == message
    screenshot(page, "form-errors-focus", full_page=True)


def test_required_fields_are_marked(browse: Any, portal: Portal) -> None:
    page = browse(VENDOR)
    page.goto(f"{portal.url}/partners/new")
    name_label = page.locator("label:has(input[name=name])")
    assert name_label.locator(".req").inner_text() == "*"
    assert page.locator("label:has(input[name=verticals]) .req").count() == 0  # optional
    assert "required" in page.locator(".req-note").inner_text()
    # A radio group is one question: one mark, on its legend, and the note is outside it.
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{portal.url}/library/new")
    kind = page.locator("fieldset.kind-choice")
    assert kind.locator(".req").count() == 1
    assert kind.locator("legend .req").inner_text() == "*"
    assert kind.locator(".req-note").count() == 0
    # Legends stay on one line, on the box's border (no "(None checked:" wrapping across it).
    tall = page.evaluate(
        """() => [...document.querySelectorAll('main legend')].filter(l =>
            l.getBoundingClientRect().height > 1.6 * parseFloat(getComputedStyle(l).lineHeight)
          ).map(l => l.textContent.trim())"""
    )
    assert tall == []


def test_placeholders_do_not_look_like_typed_values(browse: Any, portal: Portal) -> None:
    page = browse(VENDOR)
    page.goto(f"{portal.url}/library/new")
    field = "input[placeholder]"
    styles = page.evaluate(
        """sel => { const i = document.querySelector(sel);
            const p = getComputedStyle(i, '::placeholder'), v = getComputedStyle(i);
            return {pColor: p.color, pStyle: p.fontStyle,
                    vColor: v.color, vStyle: v.fontStyle}; }""",
        field,
    )
    assert styles["pStyle"] == "italic" and styles["vStyle"] == "normal", styles
    assert styles["pColor"] != styles["vColor"], styles


# -- the brand kit: one save ------------------------------------------------------------------


def test_brand_kit_saves_a_chosen_logo_with_the_details(
    browse: Any, portal: Portal, tmp_path: Any
) -> None:
    from prm_domain.models import BrandKit

    logo = tmp_path / "bavaria.png"
    logo.write_bytes(png(200, 80, (200, 30, 30)))
    page = browse(BAVARIA)
    page.goto(f"{portal.url}/partners/{portal.ids['bavaria']}/brand-kit")
    assert page.locator("main form[method=post]").count() == 1  # one form, one save
    page.set_input_files("input[name=logo_light]", str(logo))
    assert page.locator('[data-logo-pending="light"]').is_visible()  # chosen, not saved yet
    page.fill("input[name=contact_name]", "Berta Bauer")
    screenshot(page, "brand-kit-unsaved-logo", full_page=True)
    with page.expect_navigation():
        page.click("button:has-text('Save brand kit')")
    flash = page.locator(".flash-success").inner_text()
    assert "new logo for light backgrounds" in flash, flash
    with portal.sessions() as s:
        kit = s.scalar(select(BrandKit).where(BrandKit.partner_id == portal.ids["bavaria"]))
        assert kit is not None and kit.logo_key and kit.contact_name == "Berta Bauer"
    assert page.locator("img[alt^='Current logo for light']").is_visible()

    # Removing goes through the same button, and a bad file saves nothing at all.
    bad = tmp_path / "not-a-logo.png"
    bad.write_bytes(b"not an image")
    page.check("input[name=remove_logo][value=light]")
    page.set_input_files("input[name=logo_dark]", str(bad))
    page.fill("input[name=contact_name]", "Someone Else")
    with page.expect_navigation():
        page.click("button:has-text('Save brand kit')")
    assert page.locator("#logo-dark-error").is_visible()
    assert focused(page)["name"] == "logo_dark"
    with portal.sessions() as s:
        kit = s.scalar(select(BrandKit).where(BrandKit.partner_id == portal.ids["bavaria"]))
        assert kit.logo_key and kit.contact_name == "Berta Bauer"


def test_unsaved_changes_are_not_dropped_by_another_form(browse: Any, portal: Portal) -> None:
    page = browse(VENDOR)
    page.goto(f"{portal.url}/library/{portal.ids['brochure']}")
    page.fill("input[name=name]", "Nimbus brochure 2027")
    dialogs: list[str] = []

    def dismiss(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.click("button:has-text('Unpublish')")
    page.wait_for_timeout(300)
    assert dialogs and "not saved" in dialogs[0], dialogs
    assert page.input_value("input[name=name]") == "Nimbus brochure 2027"  # still there
    from prm_domain.enums import AssetStatus
    from prm_domain.models import Asset

    with portal.sessions() as s:  # and nothing was sent
        assert s.get(Asset, portal.ids["brochure"]).status == AssetStatus.PUBLISHED
    # Accepting the warning goes on: the person chose to leave the edit behind.
    page.once("dialog", lambda d: d.accept())
    with page.expect_navigation():
        page.click("button:has-text('Unpublish')")
    with portal.sessions() as s:
        assert s.get(Asset, portal.ids["brochure"]).status == AssetStatus.UNPUBLISHED
    with page.expect_navigation():
        page.click("button:has-text('Publish')")
    with portal.sessions() as s:  # published again, but long ago for the other tests
        s.get(Asset, portal.ids["brochure"]).published_at -= dt.timedelta(days=60)
        s.commit()


# -- keyboard and the page frame --------------------------------------------------------------


def test_skip_link_is_the_first_stop_and_moves_focus_to_the_content(
    browse: Any, portal: Portal
) -> None:
    page = browse(ALPINE)
    page.goto(f"{portal.url}/library")
    page.keyboard.press("Tab")
    first = focused(page)
    assert first["tag"] == "A" and first["text"] == "Skip to content", first
    assert page.locator(".skip-link").is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"
    page.keyboard.press("Tab")  # the next stop is in the content, past the 8 header links
    assert page.evaluate("document.getElementById('content').contains(document.activeElement)")


def test_no_page_asks_for_a_missing_favicon(browse: Any, portal: Portal) -> None:
    page = browse(ALPINE)
    for path in ("/", "/library", f"/library/{portal.ids['brochure']}"):
        page.goto(f"{portal.url}{path}")
        page.wait_for_load_state("networkidle")
    icon = page.get_attribute("link[rel=icon]", "href")
    assert icon and page.request.get(f"{portal.url}{icon}").status == 200
    assert page.request.get(f"{portal.url}/favicon.ico").status == 200
    assert page.failures == [], page.failures


# -- leads ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def leads(portal: Portal) -> dict[str, int]:
    from prm_domain.models import Embed, Lead, User
    from prm_domain.syndication import embeds

    with portal.app.app_context(), portal.sessions() as s:
        admin = s.scalar(select(User).where(User.email == ALPINE))
        embed = embeds.create_embed(
            s,
            admin,
            portal.ids["alpine"],
            {
                "name": "Contact page",
                "kind": "lead_form",
                "allowed_domains": ["alpine.example"],
            },
        )
        lead = Lead(
            partner_id=portal.ids["alpine"],
            embed_id=embed.id,
            source="embed",
            name="Erika Muster",
            email="erika@example.com",
            phone="+49 (89) 1234-567",
            company="Muster GmbH",
            fingerprint="f" * 64,
            consent_text="I agree.",
        )
        s.add(lead)
        s.commit()
        assert isinstance(embed, Embed)
        return {"embed": embed.id, "lead": lead.id}


def test_a_lead_row_opens_the_lead_and_contacts_are_links(
    browse: Any, portal: Portal, leads: dict[str, int]
) -> None:
    page = browse(ALPINE)
    page.goto(f"{portal.url}/leads")
    row = page.locator("tbody tr", has_text="Erika Muster")
    assert row.locator("a[href^='mailto:']").get_attribute("href") == "mailto:erika@example.com"
    assert row.locator("a[href^='tel:']").get_attribute("href") == "tel:+49891234567"
    screenshot(page, "leads-list")
    with page.expect_navigation():
        row.locator("td", has_text="Muster GmbH").click()  # not a link: the row opens the lead
    assert page.url.endswith(f"/leads/{leads['lead']}")
    assert page.locator("a[href='mailto:erika@example.com']").count() == 1
    assert page.locator("a[href='tel:+49891234567']").count() == 1

    # By keyboard: the first cell's link is a real link, reached with Tab, opened with Enter.
    page.goto(f"{portal.url}/leads")
    link = page.locator("tbody tr td:first-child a").first
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('tbody tr td:first-child') !== null"):
            break
    assert "Erika Muster" in (link.get_attribute("aria-label") or "")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/leads/{leads['lead']}")


# -- long URLs, selects, charts ---------------------------------------------------------------


def overflowing(page: Any, selector: str) -> list[str]:
    return page.evaluate(
        """sel => [...document.querySelectorAll(sel)]
             .filter(c => c.scrollWidth > c.clientWidth + 1)
             .map(c => c.className + ': ' + c.scrollWidth + ' > ' + c.clientWidth)""",
        selector,
    )


LONG_URL = "https://www.alpine.example/" + "very-long-campaign-path-segment/" * 6 + "?utm=x"
LONG_HOST = "very-long-subdomain-name-for-a-campaign.alpine-it-solutions-international.example"


@pytest.fixture(scope="module")
def long_words(portal: Portal, leads: dict[str, int]) -> None:
    """Long URLs and host names where people put them, and an embed with a long name."""
    from prm_domain.models import Asset, Embed, Lead

    with portal.sessions() as s:
        lead = s.get(Lead, leads["lead"])
        lead.page_url = lead.referrer = LONG_URL
        s.get(Asset, portal.ids["brochure"]).landing_url = LONG_URL
        embed = s.get(Embed, leads["embed"])
        embed.allowed_domains = [LONG_HOST]
        embed.name = "Contact form on the services page of the Munich office (spring campaign)"
        s.commit()


LONG_EMAIL = "petra.kunde-schmidt@vertrieb.alpine-it-solutions.example"


@pytest.fixture(scope="module")
def long_email(portal: Portal, leads: dict[str, int]) -> None:
    from prm_domain.models import Lead

    with portal.sessions() as s:
        s.add(
            Lead(
                partner_id=portal.ids["alpine"],
                embed_id=leads["embed"],
                source="embed",
                name="Petra Kunde",
                email=LONG_EMAIL,
                fingerprint="e" * 64,
                consent_text="I agree.",
            )
        )
        s.commit()


# Where each line of an element's text ends (character offsets), as laid out.
LINE_ENDS = """el => {
    const node = el.firstChild && el.textContent, ends = [], r = document.createRange();
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    let text = "", last = null, t;
    while ((t = walker.nextNode())) {
        for (let i = 0; i < t.length; i++) {
            r.setStart(t, i); r.setEnd(t, i + 1);
            const top = Math.round(r.getBoundingClientRect().top);
            if (last !== null && top > last + 2) ends.push(text.length);
            last = top; text += t.data[i];
        }
    }
    return {text, ends};
}"""


@pytest.mark.parametrize("width", [390, 1280])
def test_long_urls_stay_inside_their_cards(
    browse: Any,
    portal: Portal,
    leads: dict[str, int],
    long_words: None,
    long_email: None,
    width: int,
) -> None:
    vendor = browse(VENDOR, width=width, height=844)
    vendor.goto(f"{portal.url}/library/{portal.ids['brochure']}")
    assert LONG_URL in vendor.locator("main").inner_text()
    assert overflowing(vendor, ".card") == []
    partner = browse(ALPINE, width=width, height=844)
    for path in (f"/leads/{leads['lead']}", "/embeds", f"/library/{portal.ids['brochure']}"):
        partner.goto(f"{portal.url}{path}")
        assert overflowing(partner, ".card, main form") == [], path
        assert partner.evaluate("document.documentElement.scrollWidth") <= width, path
    # An e-mail address wraps after its "@", a dot or a hyphen, never inside a word ("….or / g").
    partner.goto(f"{portal.url}/leads")
    link = partner.locator(f"a[href='mailto:{LONG_EMAIL}']")
    laid = link.evaluate(LINE_ENDS)
    assert laid["text"] == LONG_EMAIL
    assert all(LONG_EMAIL[end - 1] in "@.-" for end in laid["ends"]), laid
    if width == 390:  # wraps, first after the "@": name on one line, domain on the next
        assert laid["ends"] and laid["ends"][0] == LONG_EMAIL.index("@") + 1, laid


def test_selects_show_their_labels_within_the_screen(
    browse: Any, portal: Portal, long_words: None
) -> None:
    page = browse(ALPINE, width=390, height=844)
    page.goto(f"{portal.url}/leads")
    select = page.locator("select[name=embed_id]")
    select.select_option(index=1)
    box = select.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # Every select on a form is tall enough for its text.
    page.goto(f"{portal.url}/embeds/new")
    short = page.evaluate(
        """() => [...document.querySelectorAll('main select')]
             .filter(s => s.scrollHeight > s.clientHeight + 1).map(s => s.name)"""
    )
    assert short == []


def test_the_embed_form_shows_whole_kinds_and_only_the_items_of_the_kind(
    browse: Any, portal: Portal, synd_items: None
) -> None:
    page = browse(ALPINE, width=1366, height=768)
    page.goto(f"{portal.url}/embeds/new")
    # Wide enough for its longest choice ("Content block (everything)"), not cut off.
    cut = page.evaluate(
        """() => [...document.querySelectorAll('main select')].filter(s => {
            const c = document.createElement('canvas').getContext('2d');
            const st = getComputedStyle(s);
            c.font = st.fontWeight + ' ' + st.fontSize + ' ' + st.fontFamily;
            const widest = Math.max(...[...s.options].map(o => c.measureText(o.text).width));
            const room = s.clientWidth - parseFloat(st.paddingLeft) - parseFloat(st.paddingRight);
            return widest > room + 1; }).map(s => s.name)"""
    )
    assert cut == []

    def offered() -> list[str]:
        labels = page.locator("#item-choices label[data-item-kind]")
        return sorted(
            labels.nth(i).get_attribute("data-item-kind") or ""
            for i in range(labels.count())
            if labels.nth(i).is_visible()
        )

    assert offered() == ["banner", "lead_form"]  # a content block shows every kind
    page.select_option("select[name=kind]", "lead_form")
    assert offered() == ["lead_form"]
    page.select_option("select[name=kind]", "banner")
    assert offered() == ["banner"]
    page.close()


@pytest.fixture(scope="module")
def synd_items(portal: Portal) -> None:
    from prm_domain.models import User
    from prm_domain.syndication import items

    with portal.app.app_context(), portal.sessions() as s:
        vendor = s.scalar(select(User).where(User.email == VENDOR))
        items.create_item(
            s, vendor, {"kind": "banner", "title": "Launch banner", "content": {"headline": "H"}}
        )
        items.create_item(
            s,
            vendor,
            {
                "kind": "lead_form",
                "title": "Ask for a demo",
                "content": {"fields": ["name", "email"], "consent_text": "I agree."},
            },
        )
        s.commit()


@pytest.fixture(scope="module")
def stats(portal: Portal, leads: dict[str, int]) -> int:
    from prm_domain.models import EmbedDailyStat

    today = dt.date.today()
    with portal.sessions() as s:
        for n in range(30):
            s.add(
                EmbedDailyStat(
                    embed_id=leads["embed"],
                    item_id=0,
                    day=today - dt.timedelta(days=n),
                    impressions=12000 + 517 * n,
                    clicks=300 + n,
                    leads=n % 4,
                )
            )
        s.commit()
    return leads["embed"]


def test_chart_axis_labels_do_not_collide_on_a_phone(
    browse: Any, portal: Portal, stats: int
) -> None:
    for width in (390, 1280):
        page = browse(ALPINE, width=width, height=844)
        page.goto(f"{portal.url}/embeds/{stats}/stats")
        page.wait_for_selector(".chart-svg")
        boxes = page.evaluate(
            """() => [...document.querySelectorAll('.chart-svg text.chart-axis')].map(t => {
                 const b = t.getBoundingClientRect();
                 return [b.left, b.top, b.right, b.bottom, t.textContent]; })"""
        )
        assert len(boxes) > 6
        clashes = [
            (a[4], b[4])
            for i, a in enumerate(boxes)
            for b in boxes[i + 1 :]
            if a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5
        ]
        assert clashes == [], (width, clashes)
        svg = page.locator(".chart-svg").bounding_box()
        assert all(svg["x"] - 0.5 <= b[0] and b[2] <= svg["x"] + svg["width"] + 0.5 for b in boxes)
        if width == 390:
            screenshot(page.locator(".chart-card"), "embed-results-chart-phone")


# -- downloads --------------------------------------------------------------------------------


def test_your_downloads_counts_a_download_without_a_reload(browse: Any, portal: Portal) -> None:
    page = browse(ALPINE)
    page.goto(f"{portal.url}/library/{portal.ids['brochure']}")
    count = page.locator("[data-download-count]")
    before = int(count.inner_text())
    with page.expect_download() as download:
        page.click("a[download]:has-text('Download PDF')")
    assert download.value.suggested_filename.endswith(".pdf")
    wait_for_js(
        page,
        "n => Number(document.querySelector('[data-download-count]').textContent) === n",
        before + 1,
    )


def test_deal_form_warns_of_a_conflict_while_typing(browse: Any, portal: Portal) -> None:
    """The live check (static/js/deal-check.js, no inline script) says why, before submitting."""
    from prm_domain import deals
    from prm_domain.models import CrmAccount, User

    with portal.sessions() as s:
        vendor = s.get(User, portal.ids["vendor"])
        if not s.scalar(select(CrmAccount.id)):
            deals.create_account(
                s,
                vendor,
                {
                    "name": "Globex Corporation",
                    "opportunities": [{"name": "F", "stage": "Proposal"}],
                },
            )
            s.commit()
    page = browse("admin@alpine.example")
    page.goto(portal.url + "/deals/new")
    page.fill("input[name=company]", "Globex Inc")
    wait_for_js(page, "() => !document.getElementById('deal-conflicts').hidden")
    text = page.locator("#deal-conflicts").inner_text()
    assert "Active direct opportunity: Globex Corporation, stage Proposal" in text, text
    page.fill("input[name=company]", "Umbrella Freight")
    wait_for_js(page, "() => document.getElementById('deal-conflicts').hidden")
    assert not page.errors and not page.failures
