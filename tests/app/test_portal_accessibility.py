"""The portal's main pages pass axe-core's WCAG 2.2 AA rules, for a vendor and for a partner, on
a laptop and on a phone. axe-core (MPL-2.0) comes inside the pinned `axe-playwright-python`
package: its axe.min.js is read from disk and evaluated in the page, no network at run time."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.app.conftest import Portal, png

pytestmark = pytest.mark.browser

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
VENDOR = "vendor@nimbus.example"
ALPINE = "admin@alpine.example"


def axe_source() -> str:
    spec = importlib.util.find_spec("axe_playwright_python")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("axe-playwright-python (dev extra) needed for axe-core")
    return (Path(next(iter(spec.submodule_search_locations))) / "axe.min.js").read_text()


def violations(page: Any, source: str) -> list[str]:
    # Evaluated through the DevTools protocol: the page's CSP (no inline script) stays on.
    page.evaluate(source)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
    )
    return [
        f"{v['id']} ({v['impact']}): {node['target']} {node.get('failureSummary', '')[:200]}"
        for v in result["violations"]
        for node in v["nodes"]
    ]


@pytest.fixture(scope="module")
def pages(portal: Portal) -> dict[str, list[str]]:
    """Every main page of each side, with real content on it."""
    from prm_domain import brandkits
    from prm_domain.models import Lead, User
    from prm_domain.syndication import embeds, items

    with portal.app.app_context(), portal.sessions() as s:
        vendor = s.get(User, portal.ids["vendor"])
        admin = s.scalar(select(User).where(User.email == ALPINE))
        form = items.create_item(
            s,
            vendor,
            {
                "kind": "lead_form",
                "title": "Talk to us",
                "content": {
                    "consent_text": "I agree to be contacted.",
                    "privacy_url": "https://nimbus.example/privacy",
                },
            },
        )
        embed = embeds.create_embed(
            s,
            admin,
            portal.ids["alpine"],
            {"name": "Contact", "kind": "lead_form", "allowed_domains": ["alpine.example"]},
        )
        lead = Lead(
            partner_id=portal.ids["alpine"],
            embed_id=embed.id,
            item_id=form.id,
            source="embed",
            name="Erika Muster",
            email="erika@example.com",
            phone="+49 89 1234567",
            fingerprint="a" * 64,
            consent_text="I agree to be contacted.",
        )
        s.add(lead)
        # Both logos: the brand kit page then shows every control it has.
        brandkits.set_logo(s, vendor, portal.storage, portal.ids["alpine"], "dark", png())
        s.commit()
        ids = {"item": form.id, "embed": embed.id, "lead": lead.id}
    brochure, alpine = portal.ids["brochure"], portal.ids["alpine"]
    return {
        VENDOR: [
            "/",
            "/library",
            "/library/new",
            f"/library/{brochure}",
            "/partners",
            "/partners/new",
            f"/partners/{alpine}",
            f"/partners/{alpine}/brand-kit",
            "/tiers",
            "/syndicated-items",
            f"/syndicated-items/{ids['item']}/edit",
            "/leads",
            f"/leads/{ids['lead']}",
            "/audit",
            "/mdf",
            "/training/manage",
            "/webhooks",
        ],
        ALPINE: [
            "/",
            "/library",
            f"/library/{brochure}",
            f"/partners/{alpine}/brand-kit",
            "/organisation",
            "/embeds",
            "/embeds/new",
            f"/embeds/{ids['embed']}/stats",
            "/leads",
            f"/leads/{ids['lead']}",
            "/mdf",
        ],
    }


@pytest.mark.parametrize(
    ("who", "width"),
    [(VENDOR, 1280), (ALPINE, 1280), (ALPINE, 390)],
    ids=["vendor", "partner", "partner-phone"],
)
def test_main_portal_pages_pass_axe_wcag22_aa(
    browse: Any, portal: Portal, pages: dict[str, list[str]], who: str, width: int
) -> None:
    source = axe_source()
    page = browse(who, width=width, height=844)
    found: dict[str, list[str]] = {}
    for path in pages[who]:
        page.goto(f"{portal.url}{path}")
        page.wait_for_load_state("networkidle")
        problems = violations(page, source)
        if problems:
            found[path] = problems
    assert not found, "\n".join(f"{path}: {p}" for path, ps in found.items() for p in ps)
    assert page.errors == []  # and no script error on any of them


def test_sign_in_page_with_an_error_passes_axe(browse: Any, portal: Portal) -> None:
    source = axe_source()
    page = browse()
    page.goto(f"{portal.url}/sign-in")
    assert violations(page, source) == []
    page.fill("input[name=email]", ALPINE)
    page.fill("input[name=password]", "wrong-password")
    with page.expect_navigation():
        page.click("button:has-text('Sign in')")
    assert violations(page, source) == []
