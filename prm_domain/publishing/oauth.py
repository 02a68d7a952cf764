"""OAuth 2 for LinkedIn and X: the authorization-code flow with PKCE (RFC 7636) that connects a
channel, and the refresh_token grant that keeps it connected."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from prm_domain.enums import ChannelKind
from prm_domain.publishing import NeedsReconnect, PublishingConfig, RetryLater
from prm_domain.publishing.http import request


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str | None
    expires_at: dt.datetime | None


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge)."""
    verifier = secrets.token_urlsafe(64)[:96]
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _client(config: PublishingConfig, kind: ChannelKind) -> tuple[str, str, str]:
    if kind is ChannelKind.LINKEDIN:
        return config.linkedin_token_url, config.linkedin_client_id, config.linkedin_client_secret
    if kind is ChannelKind.X:
        return config.x_token_url, config.x_client_id, config.x_client_secret
    raise ValueError(f"No OAuth for {kind.value}")


def _token_call(config: PublishingConfig, kind: ChannelKind, form: dict[str, str]) -> Tokens:
    url, client_id, client_secret = _client(config, kind)
    headers = {"Accept": "application/json"}
    if kind is ChannelKind.X and client_secret:
        # X's confidential clients authenticate with HTTP Basic; LinkedIn takes them in the form.
        basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        headers["Authorization"] = f"Basic {basic}"
        form = {**form, "client_id": client_id}
    else:
        form = {**form, "client_id": client_id}
        if client_secret:
            form["client_secret"] = client_secret
    response = request(
        "POST",
        url,
        headers=headers,
        form=form,
        timeout=config.timeout,
        allow_private=config.is_configured_service(url),
    )
    if response.status == 429 or response.status >= 500:
        raise RetryLater(f"Token endpoint: {response.error_text()}")
    data: Any = response.json()
    if response.status != 200 or not isinstance(data, dict) or not data.get("access_token"):
        raise NeedsReconnect(f"The service refused the tokens: {response.error_text()}")
    expires_in = data.get("expires_in")
    expires_at = (
        dt.datetime.now(dt.UTC) + dt.timedelta(seconds=int(expires_in))
        if isinstance(expires_in, int | float)
        else None
    )
    return Tokens(str(data["access_token"]), data.get("refresh_token"), expires_at)


def refresh(config: PublishingConfig, kind: ChannelKind, refresh_token: str) -> Tokens:
    return _token_call(
        config, kind, {"grant_type": "refresh_token", "refresh_token": refresh_token}
    )


def exchange_code(
    config: PublishingConfig, kind: ChannelKind, code: str, redirect_uri: str, verifier: str
) -> Tokens:
    return _token_call(
        config,
        kind,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        },
    )
