"""The Flask application: ``create_app`` reads as the table of contents of the web side."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        instance_path=str(ROOT / "instance"),
    )
    from app import config as settings

    app.config.update(settings.from_env(app.instance_path))
    if config:
        app.config.update(config)

    from app import (
        api,
        auth,
        celery_app,
        cli,
        db,
        errors,
        form_errors,
        links,
        portal,
        portal_campaigns,
        portal_channels,
        portal_deals,
        portal_leads,
        portal_library,
        portal_mdf,
        portal_scorecards,
        portal_syndication,
        portal_tiers,
        portal_training,
        ratelimit,
        request,
        security,
        storage,
        unsubscribe,
        urls,
    )
    from syndication import public as syndication_public

    request.init_app(app)
    db.init_app(app)
    storage.init_app(app)
    ratelimit.init_app(app)
    security.init_app(app)
    auth.init_app(app)
    errors.init_app(app)
    form_errors.init_app(app)
    celery_app.init_app(app)
    api.init_app(app)
    portal.init_app(app)
    portal_library.init_app(app)
    portal_mdf.init_app(app)
    portal_syndication.init_app(app)
    portal_channels.init_app(app)
    portal_campaigns.init_app(app)
    unsubscribe.init_app(app)
    portal_deals.init_app(app)
    portal_leads.init_app(app)
    portal_training.init_app(app)
    portal_tiers.init_app(app)
    portal_scorecards.init_app(app)
    links.init_app(app)
    urls.init_app(app)
    syndication_public.init_app(app)
    cli.init_app(app)
    # Outermost, so every layer inside (the syndication fast path too) sees the client's
    # scheme, host and address as the proxy reported them.
    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    return app
