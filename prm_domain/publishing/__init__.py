"""Publishing a campaign post to a partner's channel: the contract between the scheduler
(which owns publications, their states and retries) and the publishers (which speak each
service's HTTP API, SMTP or a signed webhook).

A publisher never decides whether to try again: it raises the error that says what happened,
and the scheduler acts on it (honour ``retry_after``, back off, ask the partner to reconnect,
or reconcile an unknown outcome with :meth:`Publisher.find_published` before any retry).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

from prm_domain.enums import ChannelKind
from prm_domain.errors import DomainError
from prm_domain.models.channel import Channel


@dataclass(frozen=True)
class PublishingConfig:
    """Settings the publishers need; the app builds it from its config."""

    linkedin_api_base: str = "https://api.linkedin.com"
    x_api_base: str = "https://api.x.com"
    linkedin_version: str = "202511"
    # Seconds for one HTTP exchange or SMTP session.
    timeout: float = 20.0
    # Key material for the credentials stored in Channel.secret.
    secret_key: str = ""
    # Base of the portal's URLs, for outbox links and unsubscribe links.
    public_base_url: str = ""
    # OAuth 2 token endpoints and this app's client credentials (refresh_token grant).
    linkedin_token_url: str = "https://www.linkedin.com/oauth/v2/accessToken"  # noqa: S105 (a URL)
    linkedin_client_id: str = ""
    linkedin_client_secret: str = ""
    x_token_url: str = "https://api.x.com/2/oauth2/token"  # noqa: S105 (a URL)
    x_client_id: str = ""
    x_client_secret: str = ""
    # Where templates and renders are kept (prm_domain.storage.Storage): a social post's
    # image is its social template rendered in the partner's brand. None: text only.
    storage: Any = None
    # Let partner-given webhook and SMTP hosts be private addresses (loopback stand-ins in
    # tests, a closed intranet install). Never in a production default: it is SSRF.
    allow_private_hosts: bool = False

    def is_configured_service(self, url: str) -> bool:
        """Whether ``url`` is on the origin of one of the services configured here (LinkedIn,
        X, their token endpoints): the operator chose those, so they may be on loopback
        (stand-ins) or a private network; partner-given hosts may not."""
        if self.allow_private_hosts:
            return True
        bases = (self.linkedin_api_base, self.x_api_base, self.linkedin_token_url, self.x_token_url)
        return _origin(url) in {_origin(b) for b in bases if b}


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return ("", "", None)
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    return (parts.scheme.lower(), (parts.hostname or "").lower(), port or default)


@dataclass(frozen=True)
class OutgoingPost:
    """One rendered item, ready for one channel."""

    # Stable per publication: the same post retried carries the same key (webhook
    # Idempotency-Key header, SMTP Message-ID, reconciliation).
    key: str
    text: str
    link: str | None = None
    image: bytes | None = None
    image_type: str | None = None  # "image/png" | "image/jpeg"
    # Emails only.
    subject: str | None = None
    preheader: str | None = None
    html: str | None = None
    recipients: tuple[str, ...] = ()
    # Per recipient unsubscribe URL (List-Unsubscribe header and footer link).
    unsubscribe_urls: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Posted:
    external_id: str
    external_url: str = ""
    # Email: addresses the mail server refused for good (a 5xx about the mailbox, on RCPT TO
    # or on DATA): the dispatcher marks those contacts bounced, never to be mailed again.
    bounced: tuple[str, ...] = ()


class PublishError(DomainError):
    code = "publish_failed"


class RetryLater(PublishError):
    """The service is busy (429) or failing (5xx, connection refused before anything was
    sent). ``retry_after`` in seconds when the service said (Retry-After), else None: back off."""

    code = "retry_later"

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class OutcomeUnknown(PublishError):
    """The request may have reached the service but no answer came back (timeout, reset
    after sending). Never retry blindly: reconcile with ``find_published`` first."""

    code = "outcome_unknown"


class NeedsReconnect(PublishError):
    """The credentials were refused (401 even after a refresh): mark the channel and tell the
    partner; nothing is retried until it is reconnected."""

    code = "needs_reconnect"


class Rejected(PublishError):
    """The service refused this post for good (4xx other than 401/429): failed, with reason."""

    code = "rejected"


class Publisher(Protocol):
    def publish(self, channel: Channel, post: OutgoingPost) -> Posted:
        """Send ``post``; may refresh and re-store the channel's tokens (the caller commits)."""
        ...

    def find_published(
        self, channel: Channel, post: OutgoingPost, since: dt.datetime
    ) -> Posted | None:
        """Look ``post`` up in the service's own list of the author's posts since ``since``
        (LinkedIn ``GET /rest/posts?q=author``, X ``GET /2/users/{id}/tweets``); None when it
        is not there. Raises :class:`RetryLater` when the service cannot answer now."""
        ...


PUBLISHERS: dict[ChannelKind, Callable[[PublishingConfig], Publisher]] = {}


def publisher_for(kind: ChannelKind, config: PublishingConfig) -> Publisher:
    try:
        factory = PUBLISHERS[kind]
    except KeyError:
        raise PublishError(f"No publisher for channel kind {kind.value!r}.") from None
    return factory(config)


class OutboxPublisher:
    """The built-in channel: a post is "published" to the partner's preview feed in the
    portal, so the id is the post's key and nothing leaves the server."""

    def __init__(self, config: PublishingConfig) -> None:
        self.config = config

    def publish(self, channel: Channel, post: OutgoingPost) -> Posted:
        return Posted(external_id=f"outbox:{post.key}", external_url="")

    def find_published(
        self, channel: Channel, post: OutgoingPost, since: dt.datetime
    ) -> Posted | None:
        # Publishing to the outbox is one local step with no answer to lose.
        return None


PUBLISHERS[ChannelKind.OUTBOX] = OutboxPublisher

# The publishers register themselves in PUBLISHERS; imported last, as they import the contract.
from prm_domain.publishing import linkedin, smtp, webhook, x  # noqa: E402

__all__ = [
    "PUBLISHERS",
    "NeedsReconnect",
    "OutboxPublisher",
    "OutcomeUnknown",
    "OutgoingPost",
    "Posted",
    "PublishError",
    "Publisher",
    "PublishingConfig",
    "Rejected",
    "RetryLater",
    "linkedin",
    "publisher_for",
    "smtp",
    "webhook",
    "x",
]
