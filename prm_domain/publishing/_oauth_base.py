"""What LinkedIn's and X's publishers share: bearer calls that refresh the token once on a 401,
store the new one (encrypted) on the channel, and call the channel lost if that fails too."""

from __future__ import annotations

from typing import Any

from prm_domain.enums import ChannelKind
from prm_domain.models.channel import Channel
from prm_domain.publishing import NeedsReconnect, PublishingConfig, oauth
from prm_domain.publishing.http import Response, request
from prm_domain.publishing.secrets import seal, unseal


class BearerClient:
    kind: ChannelKind

    def __init__(self, config: PublishingConfig) -> None:
        self.config = config

    def headers(self) -> dict[str, str]:
        return {}

    def call(self, channel: Channel, method: str, url: str, **kwargs: Any) -> Response:
        creds = unseal(self.config.secret_key, channel.secret)
        response = self._send(creds, method, url, **kwargs)
        if response.status != 401:
            return response
        refresh_token = creds.get("refresh_token")
        if not refresh_token:
            raise NeedsReconnect(f"{self.kind.value}: the access token was refused (401).")
        tokens = oauth.refresh(self.config, self.kind, str(refresh_token))
        creds = {
            **creds,
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token or refresh_token,
        }
        # Stored at once: the old refresh token may be spent, and the caller commits.
        channel.secret = seal(self.config.secret_key, creds)
        channel.token_expires_at = tokens.expires_at
        response = self._send(creds, method, url, **kwargs)
        if response.status == 401:
            raise NeedsReconnect(f"{self.kind.value}: refused even after a token refresh.")
        return response

    def _send(self, creds: dict[str, Any], method: str, url: str, **kwargs: Any) -> Response:
        rest = dict(kwargs)  # called twice (before and after a refresh): never consume kwargs
        headers = {
            **self.headers(),
            **rest.pop("headers", {}),
            "Authorization": f"Bearer {creds.get('access_token', '')}",
        }
        return request(
            method,
            url,
            headers=headers,
            timeout=self.config.timeout,
            allow_private=self.config.is_configured_service(url),
            # One API, many posts: the worker keeps its connection to it.
            keep_alive=True,
            **rest,
        )
