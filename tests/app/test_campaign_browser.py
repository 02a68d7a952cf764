"""A partner's whole campaign loop in headless Chromium (issue 9): the invitation, the preview
in the partner's brand (its post image rendered by the asset engine), an edit refused over the
vendor's limit and taken within it, the channel, "Approve all", the calendar, and after the
scheduler's dispatch (in-process, as the embedded default runs it) the outbox feed."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from tests.app.conftest import Portal, png, screenshot

pytestmark = pytest.mark.browser

ALPINE = "admin@alpine.example"
LOGO = (28, 95, 184)  # the colour of Alpine's logo (tests.app.conftest.png)
LIMIT = 60


@pytest.fixture(scope="module")
def campaign(portal: Portal) -> int:
    """A launched campaign: a social post with an image from a social template, editable up to
    LIMIT characters and due at once after approval, and a second post a day later."""
    from prm_domain import assets
    from prm_domain.campaigns import campaigns
    from prm_domain.models import User

    with portal.app.app_context(), portal.sessions() as s:
        vendor = s.get(User, portal.ids["vendor"])
        assert vendor is not None
        image = assets.create_asset(
            s, vendor, "social", {"name": "Launch image", "description": "1200 x 627"}
        )
        version = assets.add_version(
            s, vendor, portal.storage, image.id, "launch.png", png(1200, 627, (240, 240, 240))
        )
        assets.set_zones(
            s, vendor, image.id, version.id, [{"kind": "logo", "box": [0.05, 0.05, 0.4, 0.3]}]
        )
        assets.publish(s, vendor, image.id)
        made = campaigns.create_campaign(s, vendor, {"name": "Nimbus 5.0 in your brand"})
        campaigns.add_item(
            s,
            vendor,
            made.id,
            {
                "kind": "social",
                "title": "Announcement",
                "text": "{{ partner.name }} now runs Nimbus 5.0",
                "asset_id": image.id,
                "editable": ["text"],
                "max_length": LIMIT,
                "day": 0,
                "time": "00:00",
            },
        )
        campaigns.add_item(
            s,
            vendor,
            made.id,
            {"kind": "social", "title": "Follow-up", "text": "Ask us", "day": 1, "time": "09:00"},
        )
        campaigns.launch_campaign(s, vendor, made.id)
        s.commit()
        return made.id


def test_partner_previews_edits_approves_and_sees_the_post_go_out(
    browse: Any, portal: Portal, campaign: int
) -> None:
    page = browse(ALPINE)
    page.goto(f"{portal.url}/campaigns")
    with page.expect_navigation():
        page.click("a:has-text('Nimbus 5.0 in your brand')")
    assert page.url.endswith(f"/campaigns/{campaign}")
    # The brand is applied: the partner's name in the text, its logo in the post's image.
    post = page.locator("article.campaign-item").first
    assert "Alpine IT Solutions now runs Nimbus 5.0" in post.locator(".social-preview").inner_text()
    image = post.locator("img.social-image")
    image.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    assert image.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [1200, 627]
    shown = page.request.get(portal.url + str(image.get_attribute("src")))
    assert shown.status == 200 and shown.headers["content-type"] == "image/png"
    pixels = Image.open(io.BytesIO(shown.body())).convert("RGB")
    # The logo's zone (top left) carries the partner's logo colour; the rest the template's.
    logo_zone = pixels.crop((60, 31, 480, 188)).getcolors(1_000_000) or []
    assert any(_near(c, LOGO) for _, c in logo_zone), "no logo in the logo zone"
    assert _near(pixels.getpixel((1100, 550)), (240, 240, 240))
    screenshot(page, "campaign-preview-partner", full_page=True)

    # Over the vendor's limit (typed past the field's maxlength, as a script or an old browser
    # could): refused next to the field, nothing approved, the typed text kept.
    field = post.locator("textarea")
    too_long = "Alpine: " + "x" * LIMIT
    field.evaluate("t => t.removeAttribute('maxlength')")
    field.fill(too_long)
    with page.expect_navigation():
        page.click("button:has-text('Approve all')")
    error = page.locator("article.campaign-item").first.locator(".field-error")
    assert error.is_visible() and str(LIMIT) in error.inner_text()
    alert = page.locator("[role=alert]").inner_text()
    assert "Nothing was approved" in alert and "edits." not in alert
    assert page.locator("article.campaign-item textarea").first.input_value() == too_long
    screenshot(page, "campaign-preview-over-limit", full_page=True)

    # Within the limit, on the outbox: approved.
    mine = "Alpine runs Nimbus 5.0: ask us about the upgrade"
    assert len(mine) <= LIMIT
    page.locator("article.campaign-item textarea").first.fill(mine)
    outbox = page.locator("label.check:has-text('Outbox') input")
    outbox.check()
    with page.expect_navigation():
        page.click("button:has-text('Approve all')")
    assert "Approved" in page.locator(".flash-success").inner_text()
    assert page.locator("h1 .badge").inner_text().lower() == "approved"

    # The calendar shows the posts (the first is due now, in the partner's time zone).
    page.goto(f"{portal.url}/calendar")
    posts = page.locator(".calendar-post:has-text('Nimbus 5.0 in your brand')")
    assert posts.count() >= 1
    assert "scheduled" in posts.first.inner_text()
    screenshot(page, "campaign-calendar-partner", full_page=True)
    # On a phone the month is a list of the days that have posts, each post said in words
    # (its kind and its item, never "social"), and nothing is wider than the screen.
    phone = browse(ALPINE, width=390, height=844)
    phone.goto(f"{portal.url}/calendar")
    listed = phone.locator(".calendar-post:has-text('Nimbus 5.0 in your brand')").first
    assert listed.is_visible()
    assert listed.inner_text().startswith(tuple(f"{h:02d}:" for h in range(24)))
    assert "Social post" in listed.inner_text() and ": Announcement" in listed.inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    days = phone.locator(".calendar-day")
    shown = [days.nth(i).is_visible() for i in range(days.count())]
    with_posts = [days.nth(i).locator(".calendar-post").count() > 0 for i in range(days.count())]
    assert shown == with_posts
    screenshot(phone, "campaign-calendar-partner-phone", full_page=True)

    # The scheduler's tick, in-process as in the embedded default (tasks run here and now).
    from app.celery_app import enqueue
    from prm_domain.enums import PublicationState
    from prm_domain.models import Publication

    app = portal.app
    inline = app.config.get("TASKS_INLINE")
    app.config["TASKS_INLINE"] = True
    try:
        with app.app_context():
            done = enqueue("cobrand.dispatch_publications")
            assert done is not None and done.result() >= 1
    finally:
        app.config["TASKS_INLINE"] = inline
    with portal.sessions() as s:
        states = s.scalars(
            select(Publication.state).where(Publication.campaign_id == campaign)
        ).all()
        assert PublicationState.PUBLISHED in states

    page.goto(f"{portal.url}/outbox")
    feed = page.locator("main").inner_text()
    assert mine in feed and "Alpine IT Solutions now runs" not in feed
    published = page.locator("article.outbox-post img.social-image")
    page.wait_for_function(
        "img => img.complete && img.naturalWidth === 1200", arg=published.element_handle()
    )
    screenshot(page, "campaign-outbox-partner", full_page=True)

    # Channels: the mail server and webhook forms, errors in words beside their fields.
    page.goto(f"{portal.url}/channels")
    assert page.locator("button[disabled]").count() == 0
    page.fill("#add-smtp input[name=host]", "localhost")
    page.fill("#add-smtp input[name=from]", "news@alpine.example")
    page.fill("#add-smtp input[name=password]", "do-not-show-me")
    with page.expect_navigation():
        page.click("button:has-text('Connect mail server')")
    host_error = page.locator("#add-smtp label:has(input[name=host]) .field-error")
    assert host_error.is_visible()
    assert page.input_value("#add-smtp input[name=password]") == ""
    assert "do-not-show-me" not in page.content()
    screenshot(page, "channels-smtp-error", full_page=True)
    assert [e for e in page.errors if "422" not in e] == [], page.errors
    # The failed responses are the two forms' 422s (over the limit, a mail server on loopback).
    assert [status for status, _ in page.failures] == [422, 422], page.failures


def _near(colour: Any, want: tuple[int, int, int], tolerance: int = 24) -> bool:
    return all(abs(int(a) - b) <= tolerance for a, b in zip(colour, want, strict=True))
