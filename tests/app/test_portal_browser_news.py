"""Finding what is new (issue 13), in headless Chromium: a vendor publishes an asset to Gold; the
Gold partner is notified (once), sees a "New" badge in the library and "since your last visit"
on the dashboard; the Silver partner hears nothing; after the next sign-in it is no longer new."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from tests.app.conftest import Portal, pdf, screenshot, sign_in, sign_out

pytestmark = pytest.mark.browser

VENDOR = "vendor@nimbus.example"
ALPINE = "admin@alpine.example"  # Gold
BAVARIA = "admin@bavaria.example"  # Silver


def notes(portal: Portal, partner: str) -> list[tuple[str, str, str | None]]:
    """The partner's notifications about the Gold price sheet."""
    from prm_domain.models import Notification

    with portal.sessions() as s:
        stmt = select(Notification.kind, Notification.text, Notification.dedupe_key).where(
            Notification.partner_id == portal.ids[partner],
            Notification.kind == "asset",
            Notification.text.contains("Gold price sheet"),
        )
        return [tuple(row) for row in s.execute(stmt)]


def test_publishing_tells_the_audience_once_and_marks_the_asset_new(
    browse: Any, portal: Portal
) -> None:
    from prm_domain import assets
    from prm_domain.models import User

    with portal.app.app_context(), portal.sessions() as s:
        vendor = s.get(User, portal.ids["vendor"])
        sheet = assets.create_asset(
            s,
            vendor,
            "pdf",
            {"name": "Gold price sheet", "audience_tier_ids": [portal.ids["gold"]]},
        )
        assets.add_version(s, vendor, portal.storage, sheet.id, "sheet.pdf", pdf("Gold"))
        s.commit()
        sheet_id = sheet.id

    # The partner's first visit: the old brochure is not new; the visit is recorded by a POST.
    alpine = browse(ALPINE)
    alpine.goto(f"{portal.url}/library")
    assert alpine.locator(".badge-new").count() == 0
    with portal.sessions() as s:
        alpine.wait_for_timeout(300)
        seen = s.scalar(select(User.last_seen_at).where(User.email == ALPINE))
    assert seen is not None, "the page reports the visit"
    sign_out(alpine)

    # The vendor publishes, as a person does: the Publish button on the asset page.
    vendor_page = browse(VENDOR)
    vendor_page.goto(f"{portal.url}/library/{sheet_id}")
    with vendor_page.expect_navigation():
        vendor_page.click("button:has-text('Publish v1')")
    assert [n[1] for n in notes(portal, "alpine")] == ["New in the library: Gold price sheet"]
    assert notes(portal, "bavaria") == []  # Silver is not in the audience
    # Unpublishing and publishing the same version again tells nobody twice.
    with vendor_page.expect_navigation():
        vendor_page.click("button:has-text('Unpublish')")
    with vendor_page.expect_navigation():
        vendor_page.click("button:has-text('Publish v1')")
    assert len(notes(portal, "alpine")) == 1

    # The Gold partner signs in: the dashboard says what changed, the card says New.
    sign_in(alpine, portal, ALPINE)
    changes = alpine.locator(".whats-new")
    assert "Since your last visit" in changes.inner_text()
    assert changes.locator("a", has_text="Gold price sheet").count() == 1
    note = alpine.locator(".notifications a", has_text="New in the library: Gold price sheet")
    assert note.get_attribute("href") == f"/library/{sheet_id}"
    screenshot(alpine, "dashboard-whats-new", full_page=True)
    alpine.goto(f"{portal.url}/library")
    card = alpine.locator(".asset-card", has_text="Gold price sheet")
    assert card.locator(".badge-new").inner_text() == "New"
    assert (
        alpine.locator(".asset-card", has_text="Nimbus brochure").locator(".badge-new").count() == 0
    )
    screenshot(alpine, "library-new-badge")
    # Looking around does not take the badge away within this visit.
    alpine.goto(f"{portal.url}/library/{sheet_id}")
    alpine.goto(f"{portal.url}/library")
    assert card.locator(".badge-new").count() == 1

    # The Silver partner sees nothing of it.
    bavaria = browse(BAVARIA)
    bavaria.goto(f"{portal.url}/")
    assert "Gold price sheet" not in bavaria.locator("main").inner_text()

    # Next visit: the asset was seen, so it is no longer new.
    with portal.sessions() as s:
        user = s.scalar(select(User).where(User.email == ALPINE))
        # The end of the visit just made, as its pages report it every few minutes.
        user.last_seen_at = dt.datetime.now(dt.UTC)
        s.commit()
    sign_out(alpine)
    sign_in(alpine, portal, ALPINE)
    alpine.goto(f"{portal.url}/library")
    assert alpine.locator(".badge-new").count() == 0
    alpine.goto(f"{portal.url}/")
    assert "Nothing new" in alpine.locator(".whats-new").inner_text()
