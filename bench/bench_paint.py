"""Time from the embed's script tag to a painted widget, in headless Chromium on loopback.

Goal (issue 5): under 150 ms (median). A partner page on one origin inserts the one-line
snippet (``<script async src=.../embed.js data-embed=KEY>``) with ``performance.now()`` noted;
the widget dispatches ``cobrand:rendered`` on its host element once its shadow root holds the
content ("rendered"), and the frame after that has been painted ("painted": the next animation
frame, then a message-channel task, which runs once that frame is presented).

Cold: a fresh browser context per load (empty cache: embed.js and the content are fetched).
Warm: the same context reloading the page (embed.js from cache, content from cache/304).
The app runs in a real threaded server on a fresh SQLite database, data made through the domain.

    .venv/bin/python bench/bench_paint.py [--loads 20]
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import sys
import tempfile
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from werkzeug.serving import WSGIRequestHandler, make_server

GOAL_MS = 150.0
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HOST_PAGE = (
    "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Partner</title></head>"
    "<body><h1>Alpine IT Solutions</h1><p>Our partner news.</p><div id=slot></div>"
    "<p>Footer</p></body></html>"
)
MEASURE = """([src, key]) => new Promise((resolve, reject) => {
  const slot = document.getElementById('slot');
  slot.addEventListener('cobrand:rendered', () => {
    const rendered = performance.now() - t0;
    requestAnimationFrame(() => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => resolve([rendered, performance.now() - t0]);
      channel.port2.postMessage(null);
    });
  }, {once: true});
  slot.addEventListener('cobrand:failed', () => reject(new Error('embed failed')), {once: true});
  const script = document.createElement('script');
  script.async = true;
  script.src = src;
  script.dataset.embed = key;
  const t0 = performance.now();
  slot.appendChild(script);
})"""


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


def serve(wsgi_app: Any) -> tuple[Any, int]:
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True, request_handler=_Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_port


def host_site(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
    return [HOST_PAGE.encode()]


def png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (160, 60), (28, 95, 184)).save(out, format="PNG")
    return out.getvalue()


def make_embeds(app: Any, allowed: str) -> dict[str, str]:
    """A partner with a logo, banners, a product, a lead form; a banner embed and a block."""
    from prm_domain import brandkits
    from prm_domain.enums import PartnerStatus, PartnerType, Region, Role
    from prm_domain.models import Partner, Tier, User
    from prm_domain.syndication import embeds, items

    with app.app_context(), app.extensions["cobrand.db"].sessionmaker() as s:
        tier = Tier(
            name="Gold",
            rank=10,
            description="",
            mdf_share_percent=Decimal("2.5"),
            discount_percent=Decimal("10"),
            content_access=["standard"],
        )
        s.add(tier)
        s.flush()
        partner = Partner(
            name="Alpine IT Solutions",
            name_key="alpine it solutions",
            type=PartnerType.RESELLER,
            tier_id=tier.id,
            country="DE",
            region=Region.EMEA,
            verticals=[],
            website_domains=[],
            status=PartnerStatus.ACTIVE,
        )
        s.add(partner)
        s.flush()
        vendor = User(
            email="vendor@bench.example",
            password_hash="-",  # noqa: S106 - nobody signs in
            display_name="Vendor",
            role=Role.VENDOR_ADMIN,
        )
        admin = User(
            email="admin@bench.example",
            password_hash="-",  # noqa: S106
            display_name="Admin",
            role=Role.PARTNER_ADMIN,
            partner_id=partner.id,
        )
        s.add_all([vendor, admin])
        s.flush()
        brandkits.set_logo(s, vendor, app.extensions["cobrand.storage"], partner.id, "light", png())
        banners = [
            items.create_item(
                s,
                vendor,
                {
                    "kind": "banner",
                    "title": f"Banner {n}",
                    "content": {
                        "headline": f"Nimbus Cloud 5.0, part {n}",
                        "text": "Faster backups, half the storage bill.",
                        "cta_label": "Read more",
                        "cta_url": "https://nimbus.example/launch",
                    },
                },
            ).id
            for n in (1, 2, 3)
        ]
        product = items.create_item(
            s,
            vendor,
            {
                "kind": "product",
                "title": "Nimbus Backup",
                "content": {"summary": "Restores in minutes.", "features": ["Immutable", "EU"]},
            },
        ).id
        form = items.create_item(
            s,
            vendor,
            {
                "kind": "lead_form",
                "title": "Talk to an expert",
                "content": {"consent_text": "I agree to be contacted.", "required": ["email"]},
            },
        ).id
        keys = {}
        for kind, ids in (("banner", banners), ("block", [*banners, product, form])):
            keys[kind] = embeds.create_embed(
                s,
                admin,
                partner.id,
                {"kind": kind, "items": ids, "allowed_domains": [allowed]},
            ).key
        s.commit()
    return keys


def stats(values: list[float]) -> tuple[float, float, float, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95, ordered[0], ordered[-1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loads", type=int, default=20)
    args = parser.parse_args()
    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("Debian's chromium is needed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    from app import create_app
    from prm_domain.database import upgrade

    tmp = Path(tempfile.mkdtemp(prefix="cobrand-paint-"))
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite'}",
            "REDIS_URL": None,
            "TASKS_INLINE": True,
            "STORAGE_DIR": str(tmp / "storage"),
            "SECRET_KEY": "bench",
        }
    )
    upgrade(app.extensions["cobrand.db"].engine)
    app_server, app_port = serve(app)
    base = f"http://127.0.0.1:{app_port}"
    app.config["PUBLIC_BASE_URL"] = base
    site_server, site_port = serve(host_site)
    page_url = f"http://localhost:{site_port}/"
    keys = make_embeds(app, f"localhost:{site_port}")
    src = f"{base}/embed.js"

    rows = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        for kind, key in keys.items():
            for mode in ("cold", "warm"):
                rendered, painted = [], []
                context = browser.new_context() if mode == "warm" else None
                if context is not None:  # prime the cache once
                    page = context.new_page()
                    page.goto(page_url)
                    page.evaluate(MEASURE, [src, key])
                for _ in range(args.loads):
                    ctx = context or browser.new_context()
                    page = ctx.new_page()
                    page.goto(page_url)
                    r, p = page.evaluate(MEASURE, [src, key])
                    rendered.append(r)
                    painted.append(p)
                    page.close()
                    if context is None:
                        ctx.close()
                if context is not None:
                    context.close()
                rows.append((kind, mode, stats(rendered), stats(painted)))
        browser.close()
    app_server.shutdown()
    site_server.shutdown()

    print(f"chromium {chromium}, {args.loads} loads per row, loopback, SQLite, threaded werkzeug")
    print(
        f"{'embed':7} {'cache':5} {'rendered median':>16} {'p95':>7} "
        f"{'painted median':>15} {'p95':>7} {'min':>6} {'max':>7}  goal < {GOAL_MS:.0f} ms"
    )
    for kind, mode, r, p in rows:
        verdict = "ok" if p[0] < GOAL_MS else "SLOW"
        print(
            f"{kind:7} {mode:5} {r[0]:13.1f} ms {r[1]:7.1f} {p[0]:12.1f} ms {p[1]:7.1f} "
            f"{p[2]:6.1f} {p[3]:7.1f}  {verdict}"
        )


if __name__ == "__main__":
    main()
