from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from prm_domain.enums import ChannelKind
from prm_domain.models.channel import Channel
from prm_domain.publishing import PublishingConfig
from prm_domain.publishing.secrets import seal
from tests.prm_domain.publishing.standins import CLIENT_ID, CLIENT_SECRET, StandIn, running

KEY = "publishing-test-key"


@pytest.fixture(scope="module")
def standin_server() -> Iterator[StandIn]:
    with running() as standin:
        yield standin


@pytest.fixture
def standin(standin_server: StandIn) -> Iterator[StandIn]:
    yield standin_server
    errors = list(standin_server.errors)
    standin_server.errors.clear()
    standin_server.faults.clear()
    assert errors == [], errors  # every request was as the documentation specifies


def config_for(standin: StandIn, **kw: Any) -> PublishingConfig:
    values: dict[str, Any] = {
        "linkedin_api_base": standin.url,
        "x_api_base": standin.url,
        "linkedin_token_url": f"{standin.url}/oauth/v2/accessToken",
        "x_token_url": f"{standin.url}/2/oauth2/token",
        "linkedin_client_id": CLIENT_ID,
        "linkedin_client_secret": CLIENT_SECRET,
        "x_client_id": CLIENT_ID,
        "x_client_secret": CLIENT_SECRET,
        "secret_key": KEY,
        "timeout": 5.0,
        **kw,
    }
    return PublishingConfig(**values)


@pytest.fixture
def config(standin: StandIn) -> PublishingConfig:
    return config_for(standin)


def oauth_channel(
    standin: StandIn, kind: ChannelKind, account: str, *, refresh: bool = True, **kw: Any
) -> Channel:
    """A channel with a live access token (and a refresh token the stand-in knows)."""
    access = f"at-{standin.next_id()}"
    standin.tokens.add(access)
    creds: dict[str, Any] = {"access_token": access}
    if refresh:
        creds["refresh_token"] = rt = f"rt-{standin.next_id()}"
        standin.refresh_tokens[rt] = kind.value
    return Channel(kind=kind, account=account, secret=seal(KEY, creds), **kw)
