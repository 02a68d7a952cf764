"""The lead form's consent (issue 13), in headless Chromium on a partner's page: the consent box
is marked required like the other required fields, the vendor's privacy notice is a link beside
it (not inside the label, so following it does not tick the box), and the server's messages read
as sentences. The server-rendered fragment says the same without JavaScript."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

pytestmark = pytest.mark.browser

PRIVACY = "https://nimbus.example/privacy?lang=en"


@pytest.fixture(scope="module")
def consent_form(live_app: Any, partner_site: Any, embed_world: Any) -> str:
    """An embed of Alpine's with a lead form that links the vendor's privacy notice."""
    from prm_domain.models import User
    from prm_domain.syndication import embeds, items

    with live_app.app.app_context(), live_app.session_factory() as s:
        vendor = s.scalar(select(User).where(User.email == "vendor@nimbus.example"))
        admin = s.scalar(select(User).where(User.email == "admin@alpine.example"))
        form = items.create_item(
            s,
            vendor,
            {
                "kind": "lead_form",
                "title": "Ask for a demo",
                "content": {
                    "fields": ["name", "email"],
                    "required": ["email"],
                    "consent_text": "I agree that Nimbus may contact me.",
                    "privacy_url": PRIVACY,
                },
            },
        )
        embed = embeds.create_embed(
            s,
            admin,
            embed_world.partner_a,
            {
                "name": "Demo form",
                "kind": "lead_form",
                "items": [form.id],
                "allowed_domains": [f"localhost:{partner_site.port}"],
            },
        )
        s.commit()
        return embed.key


def test_consent_is_marked_required_and_links_the_privacy_notice(
    live_app: Any, partner_site: Any, consent_form: str, open_page: Any
) -> None:
    path = partner_site.page(live_app.snippet(consent_form))
    page = open_page(partner_site.origin + path)
    widget = page.locator("cobrand-embed")
    consent = widget.locator("label.consent")
    assert consent.locator(".req").inner_text().strip() == "*"
    assert consent.locator(".req").get_attribute("aria-hidden") == "true"
    assert widget.locator("[name=consent]").evaluate("e => e.required")
    link = widget.locator("a", has_text="Privacy notice")
    assert link.get_attribute("href") == PRIVACY
    assert link.get_attribute("target") == "_blank"
    assert consent.locator("a").count() == 0  # outside the label: a click does not tick

    # Sent empty: every message the server returns starts with a capital letter.
    widget.locator("button.btn").click()
    widget.locator(".err:not([hidden])").first.wait_for(timeout=8_000)
    messages = [m for m in widget.locator(".err:not([hidden])").all_inner_texts() if m]
    assert messages and all(m[0].isupper() for m in messages), messages

    def focused() -> Any:
        return widget.evaluate("h => h.shadowRoot.activeElement && h.shadowRoot.activeElement.name")

    # The keyboard user is put back in the first field that needs input, its error linked.
    email = widget.locator("[name=email]")
    wait_until(lambda: focused() == "email")
    assert email.get_attribute("aria-invalid") == "true"
    error_id = email.get_attribute("aria-describedby")
    assert error_id and widget.locator(f"#{error_id}").inner_text()
    # Only the consent is missing now: the focus goes to its box, and the error is read out.
    page.keyboard.type("anna@example.org")
    page.keyboard.press("Enter")
    wait_until(lambda: focused() == "consent")
    consent_box = widget.locator("[name=consent]")
    assert consent_box.get_attribute("aria-invalid") == "true"
    consent_error = widget.locator("#" + (consent_box.get_attribute("aria-describedby") or "x"))
    assert consent_error.inner_text()
    live = consent_error.evaluate("e => e.closest('[aria-live]') !== null")
    assert live  # inside the live region: announced, not only shown


def wait_until(check: Any, timeout: float = 10.0) -> None:
    import time

    end = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)


def test_fragment_marks_consent_and_links_the_privacy_notice(
    live_app: Any, consent_form: str
) -> None:
    client = live_app.app.test_client()
    html = client.get(f"/syndication/v1/embeds/{consent_form}/fragment").get_data(as_text=True)
    assert 'href="https://nimbus.example/privacy?lang=en"' in html
    assert "Privacy notice" in html and "(required)" in html


def test_demo_lead_forms_mention_a_privacy_notice_only_when_they_link_one() -> None:
    from prm_domain import demo

    forms = [i["content"] for i in demo.ITEMS if i["kind"] == "lead_form"]
    assert forms
    for content in forms:
        if "privacy" in content["consent_text"].casefold():
            assert content.get("privacy_url", "").startswith("https://"), content
