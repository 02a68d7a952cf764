"""Fixtures of the portal's browser tests (tests/app/test_portal_browser*.py): the real app on a
file SQLite database behind a real socket, a vendor and two partners made through the domain
functions, and headless Chromium (Debian's). Module-scoped: one app and one browser per test
module, a fresh browser context per page. Other tests here never ask for them.

Also ``clocked``: the app as a web process runs it, keeping answers between requests.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy.orm import sessionmaker

from prm_domain import changes
from tests.conftest import PASSWORD
from tests.seed import add_partner, add_tier, add_user
from tests.syndication.conftest import served_app

FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def png(width: int = 160, height: int = 60, color: tuple[int, int, int] = (28, 95, 184)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="PNG")
    return out.getvalue()


def pdf(title: str = "Nimbus brochure") -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    c.drawString(72, 700, title)
    c.showPage()
    c.save()
    return out.getvalue()


@dataclass
class Portal:
    app: Any
    url: str
    ids: dict[str, int] = field(default_factory=dict)

    @property
    def sessions(self) -> Any:
        return self.app.extensions["cobrand.db"].sessionmaker

    @property
    def storage(self) -> Any:
        return self.app.extensions["cobrand.storage"]


@pytest.fixture(scope="module")
def chromium(chromium_browser: Any) -> Any:
    return chromium_browser


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    """The app with: tiers Gold and Silver; partners Alpine (Gold, with a logo) and Bavaria
    (Silver); a marketing manager; each partner's admin; one asset published to everyone."""
    from prm_domain import assets, brandkits, passwords
    from prm_domain.enums import Role
    from prm_domain.models import Partner, User

    saved = passwords._hasher, passwords._DUMMY_HASH
    passwords._hasher, passwords._DUMMY_HASH = FAST_HASHER, FAST_HASHER.hash("not-a-password")
    tmp = tmp_path_factory.mktemp("portal-app")
    with served_app(tmp, SYNDICATION_CACHE_SECONDS=0) as live:
        flask_app = live.app
        p = Portal(flask_app, live.url)
        with flask_app.app_context(), p.sessions() as s:
            tiers = {name: add_tier(s, name, rank) for name, rank in (("Gold", 20), ("Silver", 10))}

            def partner(name: str, tier: str) -> Partner:
                return add_partner(s, name, tiers[tier].id)

            def user(role: Role, email: str, partner_id: int | None = None) -> User:
                return add_user(
                    s,
                    role,
                    email,
                    partner_id,
                    FAST_HASHER.hash(PASSWORD),
                    display_name=email.split("@")[0].capitalize(),
                )

            alpine, bavaria = (
                partner("Alpine IT Solutions", "Gold"),
                partner("Bavaria Systems", "Silver"),
            )
            vendor = user(Role.VENDOR_ADMIN, "vendor@nimbus.example")
            user(Role.PARTNER_ADMIN, "admin@alpine.example", alpine.id)
            user(Role.PARTNER_ADMIN, "admin@bavaria.example", bavaria.id)
            brandkits.set_logo(s, vendor, p.storage, alpine.id, "light", png())
            brochure = assets.create_asset(
                s, vendor, "pdf", {"name": "Nimbus brochure", "description": "Twelve pages."}
            )
            assets.add_version(s, vendor, p.storage, brochure.id, "brochure.pdf", pdf())
            assets.publish(s, vendor, brochure.id)
            # Published long ago: not new for anyone.
            brochure.published_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=60)
            s.commit()
            p.ids |= {
                "gold": tiers["Gold"].id,
                "silver": tiers["Silver"].id,
                "alpine": alpine.id,
                "bavaria": bavaria.id,
                "vendor": vendor.id,
                "brochure": brochure.id,
            }
        yield p
    passwords._hasher, passwords._DUMMY_HASH = saved


@pytest.fixture
def browse(chromium: Any, portal: Portal) -> Iterator[Callable[..., Any]]:
    """A page in a fresh browser context, optionally signed in; records console errors and
    every response that failed (``page.failures``)."""
    contexts: list[Any] = []

    def open_(email: str | None = None, *, width: int = 1280, height: int = 900) -> Any:
        context = chromium.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.failures = []
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
        page.on(
            "response",
            lambda r: page.failures.append((r.status, r.url)) if r.status >= 400 else None,
        )
        if email:
            sign_in(page, portal, email)
        return page

    yield open_
    for context in contexts:
        context.close()


def sign_in(page: Any, portal: Portal, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{portal.url}/sign-in")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("button:has-text('Sign in')")
    assert "/sign-in" not in page.url, page.content()[:2000]


def sign_out(page: Any) -> None:
    page.click(".nav-account summary")  # the account menu holds "Sign out"
    with page.expect_navigation():
        page.click("button:has-text('Sign out')")


def screenshot(page: Any, name: str, **kw: Any) -> None:  # a page or a locator
    """A PNG of the state a test reached, for docs/screenshots: only where
    COBRAND_SCREENSHOTS is set, so a test run leaves the working tree alone."""
    if not os.environ.get("COBRAND_SCREENSHOTS"):
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), **kw)


@pytest.fixture
def clocked(app: Any, connection: Any) -> changes.ChangeClock:
    """The app as a web process runs it: its sessions carry the process's ChangeClock."""
    database = app.extensions["cobrand.db"]
    clock = database.clock
    clock.check_seconds = 60  # only this process's commits move it (as in a real worker)
    database.sessionmaker = sessionmaker(
        bind=connection,
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
        info={changes.CLOCK_KEY: clock},
    )
    return clock
