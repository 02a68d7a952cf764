"""Browser fixtures for the embed widget: a real app server, a partner website on another origin,
and headless Chromium (Debian's, not Playwright's download).

Everything here is module-scoped (one app server per test module; the browser is the process's,
from tests/conftest.py): the data is made once through the domain functions, each test gets a
fresh browser context (empty cache).
Fixture names are prefixed ``live_``/``partner_site``/``chromium_browser`` so they never shadow
the function-scoped ``app``/``client`` fixtures of tests/conftest.py.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

# Chromium: one per test process, shared by every browser test module (tests/conftest.py).
from tests.conftest import CHROMIUM_ARGS  # noqa: F401 - importable from here, as before

# Installed before any page script: records the widget's events and any CSP violation, so tests
# can wait on them even on pages whose own CSP forbids inline script.
INIT_SCRIPT = """
window.__cobrand = {rendered: [], failed: [], violations: []};
document.addEventListener("cobrand:rendered", function (e) {
  window.__cobrand.rendered.push(e.detail && e.detail.key);
});
document.addEventListener("cobrand:failed", function (e) {
  window.__cobrand.failed.push(e.detail && e.detail.key);
});
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cobrand.violations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


def _buffered(wsgi_app: Any) -> Any:
    """The app with each response body read into memory (and its iterable closed) before the
    server writes it. Werkzeug's development server skips ``close()`` when the browser drops the
    connection mid-response (a cancelled favicon, a navigation), which leaves a static file open
    and fails the test that happens to be running with a ResourceWarning."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        body = wsgi_app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return app


class LiveServer:
    """A WSGI app on a real socket in a daemon thread."""

    def __init__(self, wsgi_app: Any) -> None:
        self.server: BaseWSGIServer = make_server(
            "127.0.0.1", 0, _buffered(wsgi_app), threaded=True, request_handler=_QuietHandler
        )
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> LiveServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@dataclass
class PartnerSite:
    """Pages of a partner's website, served from another origin than the app.

    The same server answers as ``http://localhost:PORT`` (an allowed website) and as
    ``http://127.0.0.1:PORT`` (a website the embed does not allow): two origins, one server.
    """

    port: int = 0
    pages: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)
    counter: int = 0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        path = environ.get("PATH_INFO", "/")
        body, headers = self.pages.get(path, ("<!doctype html><title>Landing</title>ok", {}))
        start_response(
            "200 OK",
            [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Cache-Control", "no-store"),
                *headers.items(),
            ],
        )
        return [body.encode()]

    @property
    def origin(self) -> str:
        return f"http://localhost:{self.port}"

    @property
    def other_origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def page(self, body: str, *, csp: str | None = None, head: str = "") -> str:
        """Register a page; returns its path (prefix it with an origin)."""
        self.counter += 1
        path = f"/page-{self.counter}.html"
        html = (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>Partner page {self.counter}</title>{head}</head><body>{body}</body></html>"
        )
        self.pages[path] = (html, {"Content-Security-Policy": csp} if csp else {})
        return path


@pytest.fixture(scope="module")
def partner_site() -> Iterator[PartnerSite]:
    site = PartnerSite()
    server = LiveServer(site).start()
    site.port = server.port
    yield site
    server.stop()


@dataclass
class LiveApp:
    app: Any
    url: str

    @property
    def session_factory(self) -> Any:
        return self.app.extensions["cobrand.db"].sessionmaker

    def snippet(self, key: str, **attrs: str) -> str:
        extra = "".join(f' {k}="{v}"' for k, v in attrs.items())
        return f'<script async src="{self.url}/embed.js" data-embed="{key}"{extra}></script>'


@contextmanager
def served_app(tmp: Path, **config: Any) -> Iterator[LiveApp]:
    """The real app on a file SQLite database (each request thread its own connection) behind a
    real socket on a free port; ``config`` adds to or overrides the defaults."""
    from app import create_app
    from tests.migrated import migrated_sqlite

    flask_app = create_app(
        {
            "DATABASE_URL": migrated_sqlite(tmp / "db.sqlite"),
            "REDIS_URL": None,
            "TASKS_INLINE": True,
            "STORAGE_DIR": str(tmp / "storage"),
            "SECRET_KEY": "x",
        }
        | config
    )
    server = LiveServer(flask_app)
    url = f"http://127.0.0.1:{server.port}"
    flask_app.config["PUBLIC_BASE_URL"] = url
    server.start()
    try:
        yield LiveApp(flask_app, url)
    finally:
        server.stop()
        flask_app.extensions["cobrand.db"].engine.dispose()


@pytest.fixture(scope="module")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    with served_app(tmp_path_factory.mktemp("embed-app")) as live:
        yield live


XSS_HEADLINE = "<script>window.pwned=1</script>Nimbus <b>bold</b> offer"
XSS_TEXT = '<img src=x onerror="window.pwned=1"> Save 20% this quarter'
CONSENT = "I agree that Nimbus Corp and Alpine IT Solutions may contact me about this request."


@dataclass
class World:
    """Two partners of one vendor, their embeds (keys) and the items they show (ids)."""

    partner_a: int = 0
    partner_b: int = 0
    keys: dict[str, str] = field(default_factory=dict)
    embed_ids: dict[str, int] = field(default_factory=dict)
    items: dict[str, int] = field(default_factory=dict)
    consent: str = CONSENT
    xss_headline: str = XSS_HEADLINE
    xss_text: str = XSS_TEXT


def _png(width: int = 160, height: int = 60, color: tuple[int, int, int] = (28, 95, 184)) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="PNG")
    return out.getvalue()


def _pdf() -> bytes:
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    c.drawString(72, 700, "Nimbus Cloud brochure")
    c.showPage()
    c.save()
    return out.getvalue()


@pytest.fixture(scope="module")
def embed_world(live_app: LiveApp, partner_site: PartnerSite) -> World:
    """Vendor content and partners' embeds, made through the domain functions (not demo data)."""
    from prm_domain import assets, brandkits
    from prm_domain.enums import Role
    from prm_domain.models import Partner, User
    from prm_domain.syndication import embeds, items
    from tests.seed import add_partner, add_tier, add_user

    app = live_app.app
    storage = app.extensions["cobrand.storage"]
    allowed = [f"localhost:{partner_site.port}"]
    landing = f"{partner_site.origin}/landing"
    w = World()
    with app.app_context(), live_app.session_factory() as s:
        tier = add_tier(s, "Gold", 10)

        def partner(name: str) -> Partner:
            return add_partner(s, name, tier.id)

        def user(role: Role, email: str, partner_id: int | None = None) -> User:
            return add_user(s, role, email, partner_id)

        a, b = partner("Alpine IT Solutions"), partner("Bavaria Systems")
        vendor = user(Role.VENDOR_ADMIN, "vendor@nimbus.example")
        admin_a = user(Role.PARTNER_ADMIN, "admin@alpine.example", a.id)
        admin_b = user(Role.PARTNER_ADMIN, "admin@bavaria.example", b.id)
        brandkits.set_logo(s, vendor, storage, a.id, "light", _png())

        def item(name: str, kind: str, title: str, content: dict[str, Any], **kw: Any) -> int:
            made = items.create_item(
                s, vendor, {"kind": kind, "title": title, "content": content, **kw}
            )
            w.items[name] = made.id
            return made.id

        item(
            "banner1",
            "banner",
            "Launch",
            {
                "headline": "Nimbus Cloud 5.0 is here",
                "text": "Faster backups, half the storage bill.",
                "cta_label": "Read the launch story",
                "cta_url": landing,
            },
        )
        item(
            "banner2",
            "banner",
            "Promo",
            {"headline": "Save 20% until June", "text": "On every Nimbus plan."},
        )
        item(
            "product",
            "product",
            "Nimbus Backup",
            {
                "name": "Nimbus Backup",
                "summary": "Backups that restore in minutes.",
                "features": ["Immutable snapshots", "EU data centres"],
                "url": landing,
            },
        )
        asset = assets.create_asset(s, vendor, "pdf", {"name": "Nimbus brochure"})
        assets.add_version(s, vendor, storage, asset.id, "brochure.pdf", _pdf())
        assets.publish(s, vendor, asset.id)
        item(
            "resource",
            "resource",
            "Nimbus Cloud brochure",
            {"description": "Twelve pages, with your logo.", "format": "pdf"},
            asset_id=asset.id,
        )
        item(
            "form",
            "lead_form",
            "Talk to an expert",
            {
                "fields": ["name", "email", "company", "message"],
                "required": ["email", "name"],
                "consent_text": CONSENT,
                "submit_label": "Request a call",
                "thank_you": "Thank you! Alpine IT will call you within a day.",
            },
        )
        item("xss", "banner", "Hostile", {"headline": XSS_HEADLINE, "text": XSS_TEXT})
        item(
            "xss_product",
            "product",
            "Hostile product",
            {"name": "<svg onload=window.pwned=1>", "features": ["<iframe src=javascript:1>"]},
        )

        def embed(name: str, admin: User, partner_id: int, kind: str, ids: list[str]) -> None:
            made = embeds.create_embed(
                s,
                admin,
                partner_id,
                {
                    "name": name,
                    "kind": kind,
                    "items": [w.items[i] for i in ids],
                    "allowed_domains": allowed,
                    "theme": {"primary_color": "#0a7d45"},
                },
            )
            w.keys[name] = made.key
            w.embed_ids[name] = made.id

        embed("banner", admin_a, a.id, "banner", ["banner1", "banner2"])
        embed("products", admin_a, a.id, "products", ["product"])
        embed("beacons", admin_a, a.id, "products", ["product"])  # shown by one test only
        embed("block", admin_a, a.id, "block", ["banner1", "product", "resource", "form"])
        embed("form_a", admin_a, a.id, "lead_form", ["form"])
        embed("form_b", admin_b, b.id, "lead_form", ["form"])
        embed("xss", admin_a, a.id, "block", ["xss", "xss_product"])
        s.commit()
        w.partner_a, w.partner_b = a.id, b.id
    return w


@pytest.fixture
def open_page(chromium_browser: Any) -> Iterator[Callable[..., Any]]:
    """Open a URL in a fresh context (empty cache); collects console messages on ``page.logs``."""
    contexts: list[Any] = []

    def open_(
        url: str,
        *,
        wait: str | None = "rendered",
        count: int = 1,
        clock: bool = False,
        route: tuple[str, Callable[..., Any]] | None = None,
    ) -> Any:
        context = chromium_browser.new_context()
        contexts.append(context)
        context.add_init_script(INIT_SCRIPT)
        if clock:
            context.clock.install()
        if route:
            context.route(*route)
        page = context.new_page()
        page.logs = []
        page.on("console", lambda m: page.logs.append((m.type, m.text)))
        page.on("pageerror", lambda e: page.logs.append(("pageerror", str(e))))
        page.goto(url)
        if wait:
            wait_for_js(page, f"n => window.__cobrand.{wait}.length >= n", count)
        return page

    yield open_
    for context in contexts:
        context.close()


def wait_for_js(page: Any, function: str, arg: Any = None, timeout: float = 10.0) -> None:
    """Wait until ``function`` (JS, taking ``arg``) is truthy in the page, polled from Python.

    Playwright's ``wait_for_function`` re-evaluates its predicate with ``eval`` when it has to
    poll, which a page with a strict CSP (the partner pages here, the portal) refuses: it
    passed only when the page was already ready, and failed on a loaded machine.
    """
    deadline = time.monotonic() + timeout
    while not page.evaluate(function, arg):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {function}")
        page.wait_for_timeout(50)
