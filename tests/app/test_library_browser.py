"""The library and the zone editor walked in headless Chromium, as a vendor's marketing manager and
a partner admin use them (issue 13): brand fields of emails and the partner footer, the live
notice and the reach of a publish, text that would print too small, ready-made zones and
placeholders inserted at the caret, the editor on one 1366 x 768 screen, the sample partners
outside an asset's audience and the audience on library cards.

One app server and one browser per module (tests/syndication/conftest.py); the data is made
through the domain functions; every test signs in through the real form in a fresh context.
Screenshots of the new states go to docs/screenshots/ (with COBRAND_SCREENSHOTS=1).
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.library_fixtures import brochure, png
from tests.seed import add_partner, add_tier, add_user
from tests.syndication import conftest as browser
from tests.syndication.conftest import LiveApp

# The embed tests' live server, shared rather than copied (the browser is tests/conftest.py's).
live_app = browser.live_app

PASSWORD = "correct-horse-battery"
LAPTOP = {"width": 1366, "height": 768}
# The docs' screenshots are refreshed on request (COBRAND_SCREENSHOTS=1), so that a test run
# leaves the checkout as it was; otherwise they go to the temporary directory.
SHOTS = (
    Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    if os.environ.get("COBRAND_SCREENSHOTS")
    else Path(tempfile.gettempdir()) / "cobrand-screenshots"
)

PLAIN_EMAIL = """<mjml><mj-body><mj-section><mj-column>
<mj-text font-size="20px">Nimbus Cloud 5.0 is here</mj-text>
<mj-text>Faster backups, half the storage bill. Ask us for a demo.</mj-text>
</mj-column></mj-section></mj-body></mjml>"""


@dataclass
class Library:
    vendor_email: str = "marketing@nimbus.example"
    partner_email: str = "admin@alpine.example"
    ids: dict[str, int] = field(default_factory=dict)


@pytest.fixture(scope="module")
def library(live_app: LiveApp) -> Library:
    from prm_domain import assets, brandkits
    from prm_domain.enums import PartnerStatus, Role
    from prm_domain.passwords import hash_password

    app = live_app.app
    storage = app.extensions["cobrand.storage"]
    lib = Library()
    hashed = hash_password(PASSWORD)
    with app.app_context(), live_app.session_factory() as s:
        tiers = {name: add_tier(s, name, rank) for rank, name in ((30, "Gold"), (20, "Silver"))}

        def partner(name: str, tier: str, status: PartnerStatus = PartnerStatus.ACTIVE) -> Any:
            return add_partner(s, name, tiers[tier].id, status=status)

        def user(role: Role, email: str, partner_id: int | None = None) -> Any:
            return add_user(
                s, role, email, partner_id, hashed, display_name=email.split("@")[0].title()
            )

        alpine = partner("Alpine IT Solutions", "Gold")
        bavaria = partner("Bavaria Systems", "Gold")
        partner("Dormant Gold GmbH", "Gold", PartnerStatus.SUSPENDED)  # not reached
        cobalt = partner("Cobalt Networks", "Silver")
        admin = user(Role.VENDOR_ADMIN, "admin@nimbus.example")
        marketing = user(Role.MARKETING_MANAGER, lib.vendor_email)
        user(Role.PARTNER_ADMIN, lib.partner_email, alpine.id)
        for p, colour in (
            (alpine, (28, 95, 184)),
            (bavaria, (10, 125, 69)),
            (cobalt, (180, 30, 30)),
        ):
            brandkits.set_logo(s, admin, storage, p.id, "light", png(240, 90, colour))
        brandkits.update_brand_kit(
            s,
            admin,
            alpine.id,
            {
                "contact_name": "Maria Huber",
                "contact_phone": "+49 89 1234 5678",
                "contact_email": "sales@alpine-it.example",
                "contact_website": "www.alpine-it.example",
                "contact_address": "Leopoldstraße 42, 80802 München, Germany",
            },
        )
        gold = [tiers["Gold"].id]
        live = assets.create_asset(
            s, marketing, "pdf", {"name": "Gold brochure", "audience_tier_ids": gold}
        )
        version = assets.add_version(s, marketing, storage, live.id, "gold.pdf", brochure(1))
        assets.set_zones(
            s,
            marketing,
            live.id,
            version.id,
            [{"kind": "logo", "box": [0.06, 0.86, 0.24, 0.08]}],
        )
        assets.publish(s, marketing, live.id)
        draft = assets.create_asset(
            s, marketing, "pdf", {"name": "Gold datasheet", "audience_tier_ids": gold}
        )
        draft_version = assets.add_version(
            s, marketing, storage, draft.id, "sheet.pdf", brochure(1)
        )
        everyone = assets.create_asset(s, marketing, "pdf", {"name": "Company profile"})
        assets.add_version(s, marketing, storage, everyone.id, "profile.pdf", brochure(1))
        assets.publish(s, marketing, everyone.id)
        s.commit()
        lib.ids = {
            "live": live.id,
            "live_version": version.id,
            "draft": draft.id,
            "draft_version": draft_version.id,
            "everyone": everyone.id,
            "alpine": alpine.id,
            "bavaria": bavaria.id,
            "cobalt": cobalt.id,
        }
    return lib


@pytest.fixture
def browse(
    chromium_browser: Any, live_app: LiveApp, library: Library
) -> Iterator[Callable[..., Any]]:
    """A signed-in page at laptop size; collects console errors and CSP violations."""
    contexts: list[Any] = []

    def open_(email: str, path: str, viewport: dict[str, int] = LAPTOP) -> Any:
        context = chromium_browser.new_context(viewport=viewport)
        contexts.append(context)
        page = context.new_page()
        page.problems = []
        page.on("console", lambda m: page.problems.append(m.text) if _counts(m) else None)
        page.on("pageerror", lambda e: page.problems.append(str(e)))
        page.goto(f"{live_app.url}/sign-in")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_url(re.compile(r".*/(\?.*)?$"))
        page.goto(f"{live_app.url}{path}")
        return page

    yield open_
    for context in contexts:
        context.close()


def _counts(message: Any) -> bool:
    """Console errors that are ours: not the favicon (issue 13's other part) and not the web
    font an MJML email asks for, which the email preview's CSP blocks on purpose."""
    if message.type != "error":
        return False
    where = (message.location or {}).get("url", "")
    return not where.endswith("/favicon.ico") and "fonts.googleapis" not in message.text


def shot(page: Any, name: str, *, full_page: bool = False) -> Path:
    """A screenshot for the docs, kept small (palette PNG)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    raw = page.screenshot(full_page=full_page)
    image = Image.open(io.BytesIO(raw)).convert("RGB")
    image.quantize(colors=128).save(path, optimize=True)
    return path


def wait_until(page: Any, check: Callable[[], Any], timeout: float = 10.0) -> None:
    """Poll from Python: the portal's CSP (rightly) forbids the eval that wait_for_function
    needs for an expression."""
    for _ in range(int(timeout / 0.05)):
        if check():
            return
        page.wait_for_timeout(50)
    raise AssertionError("timed out waiting for the page")


def in_view(box: dict[str, float], viewport: dict[str, int] = LAPTOP) -> bool:
    return (
        box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= viewport["width"] + 0.5
        and box["y"] + box["height"] <= viewport["height"] + 0.5
    )


def flash_text(page: Any) -> str:
    return " ".join(page.locator(".flash").all_inner_texts())


# -- A1: emails without brand fields ------------------------------------------------------------


def test_an_email_without_brand_fields_is_flagged_at_upload_and_gets_the_footer_in_one_click(
    browse: Callable[..., Any], tmp_path: Path, library: Library
) -> None:
    page = browse(library.vendor_email, "/library/new")
    help_box = page.locator("[data-kind-only=email]")
    page.check("input[name=kind][value=email]")
    # The placeholder help is on the upload form itself, next to the file input.
    assert help_box.is_visible()
    assert "{{ contact.phone }}" in help_box.inner_text()
    page.click("summary:has-text('Standard partner footer block')")
    snippet = page.locator("#new-footer").input_value()
    assert "{{ partner_name }}" in snippet and "{{ contact.address }}" in snippet
    shot(page, "library-new-email-placeholder-help")
    page.check("input[name=kind][value=pdf]")
    assert not help_box.is_visible()  # only for emails
    page.check("input[name=kind][value=email]")

    mjml = tmp_path / "launch.mjml"
    mjml.write_text(PLAIN_EMAIL)
    page.set_input_files("input[name=file]", str(mjml))
    page.fill("input[name=name]", "Launch email")
    page.click("button:has-text('Upload and save as draft')")
    page.wait_for_selector("h1:has-text('Launch email')")
    assert "uses no brand fields" in flash_text(page)
    assert page.locator(".flash-warning").first.is_visible()
    section = page.locator("section.brand-fields")
    assert section.get_attribute("data-brand-fields") == "0"
    assert "No brand fields" in section.inner_text()
    shot(page, "library-email-no-brand-fields", full_page=True)

    page.click("button:has-text('Add the standard partner footer')")
    page.wait_for_selector("text=adds the partner footer")
    section = page.locator("section.brand-fields")
    assert section.get_attribute("data-brand-fields") == "8"
    assert "uses 8 brand fields" in section.inner_text()
    # Not offered twice; the preview beside the report shows the same (new) version.
    assert page.locator("button:has-text('Add the standard partner footer')").count() == 0
    assert "Version 2 has the standard partner footer" in section.inner_text()
    assert "Version 2 (not published)" in page.locator("section.preview-card").inner_text()
    page.click("form[action$='/publish'] button:has-text('Publish v2')")
    page.wait_for_selector(".flash-success")
    message = flash_text(page)
    # Everyone is the audience: 3 active partners (the suspended one is not reached).
    assert "published to 3 partners: All partners" in message
    assert "It uses 8 brand fields" in message
    # The partner's preview now carries their details.
    page.wait_for_load_state("load")  # the select submits itself once library.js has run
    with page.expect_navigation():
        page.select_option(".sample-form select[name=partner_id]", str(library.ids["alpine"]))
    frame = page.frame_locator("iframe.email-preview")
    assert "+49 89 1234 5678" in frame.locator("body").inner_text()
    assert "Alpine IT Solutions" in frame.locator("body").inner_text()
    # The partner's logo, loaded by URL as a mail client would.
    logo = frame.locator("img[alt='Alpine IT Solutions']")
    wait_until(page, lambda: logo.evaluate("i => i.complete && i.naturalWidth > 0"))
    assert logo.evaluate("i => i.naturalWidth") == 240
    frame.locator("img[alt='Alpine IT Solutions']").scroll_into_view_if_needed()
    shot(page, "library-email-partner-footer")
    assert not page.problems, page.problems


# -- A3: the live version and the reach of a publish ------------------------------------------


def test_the_editor_says_edits_are_live_and_publishing_says_whom_it_reaches(
    browse: Callable[..., Any], library: Library
) -> None:
    ids = library.ids
    page = browse(
        library.vendor_email, f"/library/{ids['live']}/versions/{ids['live_version']}/zones"
    )
    note = page.locator("[data-ze=live-note]")
    assert "Live: partners get changes when you save" in note.inner_text()
    # The audience size, not a download count.
    assert "reaches 2 partners (Gold only)" in note.inner_text()
    assert "downloaded" not in note.inner_text()
    assert page.locator("[data-ze=save]").inner_text() == "Save: goes live"
    page.check("input[name=ze-newkind][value=name]")
    page.click("[data-ze=add]")
    # Before saving, the preview already shows the new zone, and says it is not saved.
    preview = page.locator("[data-ze=preview]")
    note_below = page.locator("[data-ze=preview-note]")
    wait_until(page, lambda: (preview.get_attribute("src") or "").startswith("blob:"))
    wait_until(page, lambda: preview.evaluate("i => i.complete && i.naturalWidth > 0"))
    assert "Unsaved zones, page 1: partners get this when you save." in note_below.inner_text()
    shot(page, "zone-editor-unsaved-preview")
    page.click("[data-ze=save]")
    status = page.locator("[data-ze=status]")
    wait_until(page, lambda: status.inner_text().startswith("Saved"))
    assert "Live now: 2 partners (Gold only)" in status.inner_text()
    wait_until(page, lambda: "/render?" in (preview.get_attribute("src") or ""))
    assert note_below.inner_text() == "Saved zones, page 1."
    # Beside the save button, wherever the page has scrolled to, the editor says it again.
    beside = page.locator("[data-ze=save-note]")
    assert "Partners get changes when you save" in beside.inner_text()
    assert in_view(beside.bounding_box())
    shot(page, "zone-editor-live-notice")

    # A draft says so, and publishing it names the partners reached.
    page.goto(page.url.split("/library/")[0] + f"/library/{ids['draft']}")
    assert "Would reach 2 partners: Gold only" in page.locator("#reach-hint").inner_text()
    page.click("form[action$='/publish'] button:has-text('Publish v1')")
    page.wait_for_selector(".flash-success")
    assert "is published to 2 partners: Gold only." in flash_text(page)
    assert not page.problems, page.problems


# -- A4 and B1: ready-made zones, placeholders at the caret, text that would print too small ----


def test_ready_made_zones_and_placeholders_go_in_at_the_caret_once(
    browse: Callable[..., Any], library: Library
) -> None:
    ids = library.ids
    page = browse(
        library.vendor_email, f"/library/{ids['draft']}/versions/{ids['draft_version']}/zones"
    )
    labels = page.locator(".ze-newkind label").all_inner_texts()
    assert [t.strip() for t in labels] == [
        "Logo",
        "Contact block",
        "Partner name",
        "Text",
        "QR code",
    ]
    page.check("input[name=ze-newkind][value=contact]")
    page.click("[data-ze=add]")
    text = page.locator("#ze-text")
    expected = (
        "{{ contact.name }}\n{{ contact.phone }} · {{ contact.email }}\n"
        "{{ contact.website }}\n{{ contact.address }}"
    )
    assert text.input_value() == expected
    assert page.evaluate("document.activeElement.id") == "ze-text"

    # Put the caret after the name (end of the first line) and insert the title there.
    page.keyboard.press("Control+Home")
    page.keyboard.press("End")
    page.keyboard.type(", ")
    chip = page.locator("button.chip[data-insert='{{ contact.title }}']")
    before = chip.bounding_box()
    chip.click()
    after = chip.bounding_box()
    assert before == after  # the panel did not move under the pointer
    value = text.input_value()
    assert value.startswith("{{ contact.name }}, {{ contact.title }}\n")
    assert value.count("{{ contact.title }}") == 1
    assert value.count("{{ contact.name }}") == 1  # nothing duplicated
    # The caret stays after the inserted placeholder: typing goes on from there.
    page.keyboard.type("!")
    assert text.input_value().startswith("{{ contact.name }}, {{ contact.title }}!\n")

    # Keyboard only: leave the field, tab to a placeholder button, press Enter.
    page.keyboard.press("Backspace")
    page.keyboard.press("Control+End")
    page.keyboard.type(" ")
    page.keyboard.press("Tab")
    for _ in range(10):
        if page.evaluate("document.activeElement.dataset.insert") == "{{ partner_name }}":
            break
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert text.input_value().endswith("{{ contact.address }} {{ partner_name }}")
    assert text.input_value().count("{{ partner_name }}") == 1
    shot(page, "zone-editor-contact-block")

    # Other presets: a partner name in bold, a logo.
    page.check("input[name=ze-newkind][value=name]")
    page.click("[data-ze=add]")
    assert text.input_value() == "{{ partner_name }}"
    assert page.locator("input[name=bold]").is_checked()
    assert page.locator(".ze-list li").count() == 2
    assert not page.problems, page.problems


def test_the_editor_warns_when_a_text_zone_would_print_below_7pt(
    browse: Callable[..., Any], library: Library
) -> None:
    ids = library.ids
    page = browse(
        library.vendor_email, f"/library/{ids['live']}/versions/{ids['live_version']}/zones"
    )
    page.select_option("[data-ze=sample]", str(ids["alpine"]))
    page.check("input[name=ze-newkind][value=contact]")
    page.click("[data-ze=add]")
    fit = page.locator("[data-ze=fit]")
    wait_until(page, lambda: fit.inner_text().strip())
    assert re.search(
        r"Prints at \d+(\.\d)? pt on \d lines for Alpine IT Solutions", fit.inner_text()
    )
    # Squeeze the box to 1% of the page's height: no line of 7 pt fits any more.
    height = page.locator("input[name=h]")
    height.fill("1")
    height.press("Enter")
    wait_until(page, lambda: "warn" in (fit.get_attribute("class") or ""))
    # One short line, and the size it states is the minimum it keeps (not "6.9 pt").
    # (Bavaria has no contact details: nothing of theirs is cut.)
    assert fit.inner_text() == (
        "Cut off at 7 pt for 1 of 2 partners in the audience: "
        "make the box larger or the text shorter."
    )
    assert "text too small" in page.locator(".ze-list").inner_text()
    assert page.locator(".ze-zone.ze-warn").count() == 1
    shot(page, "zone-editor-text-too-small")
    height.fill("8")
    height.press("Enter")
    wait_until(page, lambda: "ok" in (fit.get_attribute("class") or "").split())
    assert page.locator(".ze-zone.ze-warn").count() == 0
    assert not page.problems, page.problems


# -- B2: the editor on a laptop screen --------------------------------------------------------


def test_drawing_area_properties_and_preview_stay_in_view_at_1366x768(
    browse: Callable[..., Any], library: Library
) -> None:
    ids = library.ids
    page = browse(
        library.vendor_email, f"/library/{ids['live']}/versions/{ids['live_version']}/zones"
    )
    wait_until(page, lambda: page.locator("[data-ze=preview]").evaluate("i => i.naturalWidth"))
    # As it opens, without scrolling: the whole page of the template is in view.
    assert page.evaluate("window.scrollY") == 0
    assert in_view(page.locator("[data-ze=stage]").bounding_box())
    page.locator(".ze-zone").first.click()  # selects the logo zone: its properties show
    stage = page.locator("[data-ze=stage]")
    props = page.locator("[data-ze=props]")
    preview = page.locator("[data-ze=preview]")
    for _ in range(2):
        boxes = {
            "stage": stage.bounding_box(),
            "props": page.locator(".ze-props-card h2").bounding_box(),
            "save": page.locator("[data-ze=save]").bounding_box(),
            "preview": preview.bounding_box(),
        }
        for name, box in boxes.items():
            assert box is not None and in_view(box), (name, box)
        # Side by side, not stacked.
        assert boxes["stage"]["x"] + boxes["stage"]["width"] <= boxes["props"]["x"]
        assert boxes["props"]["x"] < boxes["preview"]["x"]
        # The page keeps its shape (A4) while fitting the window.
        ratio = boxes["stage"]["width"] / boxes["stage"]["height"]
        assert ratio == pytest.approx(595.28 / 841.89, rel=0.02)
        assert props.is_visible()
        page.mouse.wheel(0, 600)  # scrolling the page keeps the three in view (sticky)
        page.wait_for_timeout(150)
    shot(page, "zone-editor-1366x768")

    # Zoom the preview: it grows inside its frame, which scrolls.
    frame = page.locator("[data-ze=preview-frame]")
    fit_width = preview.bounding_box()["width"]
    page.click("[data-ze=zoom-in]")
    page.click("[data-ze=zoom-in]")
    assert page.locator("[data-ze=zoom-level]").inner_text() == "200%"
    assert preview.bounding_box()["width"] == pytest.approx(fit_width * 2, rel=0.02)
    assert frame.evaluate("f => f.scrollHeight > f.clientHeight && f.scrollWidth >= f.clientWidth")
    assert in_view(frame.bounding_box())
    shot(page, "zone-editor-preview-zoomed")
    page.click("[data-ze=zoom-fit]")
    assert preview.bounding_box()["width"] == pytest.approx(fit_width, rel=0.02)
    assert not page.problems, page.problems


def test_on_a_multi_page_pdf_the_preview_follows_the_page_and_new_zones_land_in_view(
    browse: Callable[..., Any], tmp_path: Path, library: Library
) -> None:
    # Uploaded as a person does: the editor then opens below a flash message.
    pdf = tmp_path / "guide.pdf"
    pdf.write_bytes(brochure(4))
    page = browse(library.vendor_email, "/library/new")
    page.check("input[name=kind][value=pdf]")
    page.set_input_files("input[name=file]", str(pdf))
    page.fill("input[name=name]", "Four-page guide")
    page.click("button:has-text('Upload and save as draft')")
    page.wait_for_selector("[data-ze=page]")
    preview = page.locator("[data-ze=preview]")
    note = page.locator("[data-ze=preview-note]")
    wait_until(page, lambda: preview.evaluate("i => i.complete && i.naturalWidth > 0"))
    page.select_option("[data-ze=page]", "3")
    # The preview shows the page being edited, not page 1.
    wait_until(page, lambda: note.inner_text() == "Saved zones, page 3.")
    assert preview.get_attribute("data-page") == "3"
    assert "/pages/3" in (page.locator("[data-ze=image]").get_attribute("src") or "")

    # A ready-made zone near the foot of the page still lands where the person can see it.
    page.check("input[name=ze-newkind][value=contact]")
    page.click("[data-ze=add]")
    zone = page.locator(".ze-zone").first
    assert in_view(zone.bounding_box()), zone.bounding_box()
    wait_until(page, lambda: note.inner_text().startswith("Unsaved zones, page 3"))
    # The list names it readably, not by its raw placeholders.
    first = page.locator(".ze-list li button").first
    assert first.inner_text() == "1. Contact block"
    page.fill("#ze-text", "Call {{ contact.name }} on {{ contact.phone }} for a quote today")
    assert first.inner_text() == "1. Text: Call contact name on phone…"
    # The delete button is whole and on top, not under the sticky save bar.
    delete = page.locator("[data-ze=delete]")
    box = delete.bounding_box()
    assert box is not None and in_view(box)
    hit = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y).dataset.ze",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] - 2],
    )
    assert hit == "delete"
    shot(page, "zone-editor-page-3")
    delete.click()
    assert page.locator(".ze-zone").count() == 0
    assert not page.problems, page.problems


# -- B3: sample partners outside the audience; the audience on cards ----------------------------


def test_sample_partners_are_grouped_by_audience_and_cards_show_the_audience(
    browse: Callable[..., Any], library: Library
) -> None:
    ids = library.ids
    page = browse(library.vendor_email, f"/library/{ids['live']}")
    select = page.locator(".sample-form select[name=partner_id]")
    groups = select.locator("optgroup")
    assert groups.evaluate_all("gs => gs.map(g => g.label)") == [
        "In the audience",
        "Outside the audience (preview only)",
    ]
    inside = groups.nth(0).locator("option").all_inner_texts()
    outside = groups.nth(1).locator("option").all_inner_texts()
    assert inside == ["Alpine IT Solutions", "Bavaria Systems"]
    assert outside == ["Cobalt Networks (not in audience: tier Silver)"]
    assert select.evaluate("s => s.selectedOptions[0].parentElement.label") == "In the audience"
    select.select_option(str(ids["cobalt"]))
    page.wait_for_selector("[data-sample-outside]")
    preview = page.locator("img.render-preview")
    wait_until(page, lambda: preview.evaluate("i => i.complete && i.naturalWidth > 0"))
    assert (
        "Cobalt Networks is outside this asset's audience (tier Silver)"
        in page.locator("[data-sample-outside]").inner_text()
    )
    shot(page, "asset-sample-outside-audience")

    # The zone editor's sample list says the same.
    page.goto(
        page.url.split("/library/")[0]
        + f"/library/{ids['live']}/versions/{ids['live_version']}/zones"
    )
    labels = page.locator("[data-ze=sample] optgroup").evaluate_all("gs => gs.map(g => g.label)")
    assert labels == ["In the audience", "Outside the audience (preview only)"]

    # Cards: vendor view.
    page.goto(page.url.split("/library/")[0] + "/library")
    cards = {
        c.locator(".asset-name").evaluate("e => e.firstChild.textContent.trim()"): " ".join(
            c.locator(".asset-audience").inner_text().split()
        )
        for c in page.locator(".asset-card").all()
    }
    assert cards["Gold brochure"] == "Audience: Gold only"
    assert cards["Company profile"] == "Audience: All partners"
    shot(page, "library-cards-audience")
    # Partner view: a Gold partner sees the Gold-only asset labelled as such.
    partner = browse(library.partner_email, "/library")
    cards = {
        c.locator(".asset-name").evaluate("e => e.firstChild.textContent.trim()"): " ".join(
            c.locator(".asset-audience").inner_text().split()
        )
        for c in partner.locator(".asset-card").all()
    }
    assert cards["Gold brochure"] == "Audience: Gold only"
    assert not page.problems and not partner.problems
