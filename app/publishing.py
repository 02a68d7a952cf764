"""The app's side of publishing: the PublishingConfig built from the Flask config."""

from __future__ import annotations

from flask import Flask, current_app

from prm_domain.publishing import PublishingConfig


def publishing_config(app: Flask | None = None) -> PublishingConfig:
    c = (app or current_app).config
    return PublishingConfig(
        linkedin_api_base=c["LINKEDIN_API_BASE"],
        x_api_base=c["X_API_BASE"],
        linkedin_version=c["LINKEDIN_VERSION"],
        timeout=float(c["PUBLISH_TIMEOUT"]),
        secret_key=c.get("CHANNEL_SECRET_KEY") or c["SECRET_KEY"],
        public_base_url=c.get("PUBLIC_BASE_URL") or "",
        linkedin_token_url=c["LINKEDIN_TOKEN_URL"],
        linkedin_client_id=c["LINKEDIN_CLIENT_ID"],
        linkedin_client_secret=c["LINKEDIN_CLIENT_SECRET"],
        x_token_url=c["X_TOKEN_URL"],
        x_client_id=c["X_CLIENT_ID"],
        x_client_secret=c["X_CLIENT_SECRET"],
        allow_private_hosts=bool(c["PUBLISH_ALLOW_PRIVATE_HOSTS"]),
        storage=(app or current_app).extensions.get("cobrand.storage"),
    )
