"""X's API v2: ``POST /2/tweets`` with ``{"text": ...}`` (the id in ``data.id``), images through
``POST /2/media/upload`` first. X takes no idempotency key either: a post whose answer was
lost is looked up in ``GET /2/users/{id}/tweets`` since the attempt began."""

from __future__ import annotations

import base64
import datetime as dt
import re
from typing import Any

from prm_domain.enums import ChannelKind
from prm_domain.models.channel import Channel
from prm_domain.publishing import PUBLISHERS, OutgoingPost, Posted, Rejected
from prm_domain.publishing._oauth_base import BearerClient
from prm_domain.publishing.http import raise_for_status

# X rewrites every link to a t.co one, so texts are compared with their links taken out.
_LINK = re.compile(r"https?://\S+")


def comparable(text: str) -> str:
    return " ".join(_LINK.sub(" ", text).split())


def tweet_url(tweet_id: str) -> str:
    return f"https://x.com/i/web/status/{tweet_id}"


class XPublisher(BearerClient):
    kind = ChannelKind.X

    @property
    def base(self) -> str:
        return self.config.x_api_base.rstrip("/")

    def publish(self, channel: Channel, post: OutgoingPost) -> Posted:
        text = post.text if not post.link or post.link in post.text else f"{post.text} {post.link}"
        body: dict[str, Any] = {"text": text}
        if post.image is not None:
            body["media"] = {"media_ids": [self._upload(channel, post.image, post.image_type)]}
        response = self.call(channel, "POST", f"{self.base}/2/tweets", json_body=body)
        raise_for_status(response)
        data = (response.json() or {}).get("data") or {}
        tweet_id = data.get("id") if isinstance(data, dict) else None
        if not isinstance(tweet_id, str) or not tweet_id:
            raise Rejected("X answered without the post's id (data.id).")
        return Posted(external_id=tweet_id, external_url=tweet_url(tweet_id))

    def _upload(self, channel: Channel, image: bytes, image_type: str | None) -> str:
        response = self.call(
            channel,
            "POST",
            f"{self.base}/2/media/upload",
            json_body={
                "media": base64.b64encode(image).decode("ascii"),
                "media_category": "tweet_image",
                "media_type": image_type or "image/png",
            },
        )
        raise_for_status(response)
        data = (response.json() or {}).get("data") or {}
        media_id = data.get("id") if isinstance(data, dict) else None
        if not isinstance(media_id, str) or not media_id:
            raise Rejected("X's media upload answered without data.id.")
        return media_id

    def find_published(
        self, channel: Channel, post: OutgoingPost, since: dt.datetime
    ) -> Posted | None:
        aware = since if since.tzinfo else since.replace(tzinfo=dt.UTC)
        start = aware.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        response = self.call(
            channel,
            "GET",
            f"{self.base}/2/users/{channel.account}/tweets",
            params={"start_time": start, "max_results": "100", "tweet.fields": "created_at"},
        )
        raise_for_status(response)
        wanted = comparable(post.text)
        for tweet in (response.json() or {}).get("data") or []:
            if isinstance(tweet, dict) and comparable(str(tweet.get("text", ""))) == wanted:
                return Posted(
                    external_id=str(tweet["id"]), external_url=tweet_url(str(tweet["id"]))
                )
        return None


PUBLISHERS[ChannelKind.X] = XPublisher
