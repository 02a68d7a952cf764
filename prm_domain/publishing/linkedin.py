"""LinkedIn's versioned Posts API (``/rest/posts``) and Images API (``/rest/images``).

Every call carries ``LinkedIn-Version`` and ``X-Restli-Protocol-Version: 2.0.0``; the new
post's URN comes back in the ``x-restli-id`` header of a 201. LinkedIn takes no idempotency
key, so a post whose answer was lost is found again in the author's own list
(``GET /rest/posts?q=author``) by its text and creation time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from prm_domain.enums import ChannelKind
from prm_domain.models.channel import Channel
from prm_domain.publishing import PUBLISHERS, OutgoingPost, Posted, Rejected
from prm_domain.publishing._oauth_base import BearerClient
from prm_domain.publishing.http import raise_for_status

# How many of the author's newest posts reconciliation reads (one page).
RECENT = 50


def post_url(urn: str) -> str:
    return f"https://www.linkedin.com/feed/update/{urn}/"


def same_text(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


class LinkedInPublisher(BearerClient):
    kind = ChannelKind.LINKEDIN

    def headers(self) -> dict[str, str]:
        return {
            "LinkedIn-Version": self.config.linkedin_version,
            "X-Restli-Protocol-Version": "2.0.0",
        }

    @property
    def base(self) -> str:
        return self.config.linkedin_api_base.rstrip("/")

    def publish(self, channel: Channel, post: OutgoingPost) -> Posted:
        author = channel.account
        if not author.startswith(("urn:li:organization:", "urn:li:person:")):
            raise Rejected("The LinkedIn channel has no author URN.")
        body: dict[str, Any] = {
            "author": author,
            "commentary": post.text,
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        if post.image is not None:
            image_urn = self._upload_image(channel, author, post.image, post.image_type)
            body["content"] = {"media": {"id": image_urn, "altText": post.text[:120]}}
        elif post.link:
            body["content"] = {"article": {"source": post.link, "title": post.text[:200]}}
        response = self.call(channel, "POST", f"{self.base}/rest/posts", json_body=body)
        raise_for_status(response)
        urn = response.headers.get("x-restli-id", "")
        if not urn:
            raise Rejected("LinkedIn answered without the post's URN (x-restli-id).")
        return Posted(external_id=urn, external_url=post_url(urn))

    def _upload_image(
        self, channel: Channel, owner: str, image: bytes, image_type: str | None
    ) -> str:
        response = self.call(
            channel,
            "POST",
            f"{self.base}/rest/images",
            params={"action": "initializeUpload"},
            json_body={"initializeUploadRequest": {"owner": owner}},
        )
        raise_for_status(response)
        value = (response.json() or {}).get("value") or {}
        upload_url, urn = value.get("uploadUrl"), value.get("image")
        if not isinstance(upload_url, str) or not isinstance(urn, str):
            raise Rejected("LinkedIn's initializeUpload answer lacks uploadUrl or image.")
        put = self.call(
            channel,
            "PUT",
            upload_url,
            body=image,
            headers={"Content-Type": image_type or "application/octet-stream"},
        )
        raise_for_status(put)
        return urn

    def find_published(
        self, channel: Channel, post: OutgoingPost, since: dt.datetime
    ) -> Posted | None:
        response = self.call(
            channel,
            "GET",
            f"{self.base}/rest/posts",
            # The URN is URL-encoded in the query, as Rest.li 2.0 requires.
            params={
                "q": "author",
                "author": channel.account,
                "count": str(RECENT),
                "sortBy": "LAST_MODIFIED",
            },
            headers={"X-RestLi-Method": "FINDER"},
        )
        raise_for_status(response)
        aware = since if since.tzinfo else since.replace(tzinfo=dt.UTC)
        since_ms = int(aware.timestamp() * 1000)
        for element in (response.json() or {}).get("elements") or []:
            if not isinstance(element, dict):
                continue
            created = element.get("createdAt") or element.get("publishedAt") or 0
            if (
                isinstance(created, int)
                and created >= since_ms
                and same_text(str(element.get("commentary", "")), post.text)
                and isinstance(element.get("id"), str)
            ):
                return Posted(external_id=element["id"], external_url=post_url(element["id"]))
        return None


PUBLISHERS[ChannelKind.LINKEDIN] = LinkedInPublisher
