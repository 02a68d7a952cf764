"""The publishers against stand-ins that check each request as LinkedIn's and X's docs
specify, SMTP against a real SMTP server on loopback (aiosmtpd), and the signed webhook."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import email.policy
import re
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from prm_domain.enums import ChannelKind
from prm_domain.models.channel import Channel
from prm_domain.publishing import (
    NeedsReconnect,
    OutcomeUnknown,
    OutgoingPost,
    PublishingConfig,
    Rejected,
    RetryLater,
    publisher_for,
)
from prm_domain.publishing.secrets import SecretUnreadable, seal, unseal
from tests.prm_domain.publishing.conftest import KEY, config_for, oauth_channel
from tests.prm_domain.publishing.standins import WEBHOOK_SECRET, StandIn

ORG = "urn:li:organization:5515715"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def post(key: str = "pub-1", text: str = "Spring launch", **kw: Any) -> OutgoingPost:
    return OutgoingPost(key=key, text=text, **kw)


def since() -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)


def test_secrets_round_trip_and_refuse_another_key() -> None:
    token = seal(KEY, {"access_token": "abc"})
    assert b"abc" not in token
    assert unseal(KEY, token) == {"access_token": "abc"}
    with pytest.raises(SecretUnreadable):
        unseal("another key", token)


def test_linkedin_posts_text_link_and_image_and_finds_them(
    standin: StandIn, config: PublishingConfig
) -> None:
    channel = oauth_channel(standin, ChannelKind.LINKEDIN, ORG)
    li = publisher_for(ChannelKind.LINKEDIN, config)
    first = li.publish(channel, post(text="Hello  partners", link="https://c.example/r/x"))
    assert first.external_id.startswith("urn:li:share:")
    assert first.external_url == f"https://www.linkedin.com/feed/update/{first.external_id}/"
    with_image = li.publish(channel, post(key="pub-2", text="With a picture", image=PNG))
    stored = {p["id"]: p for p in standin.linkedin_posts}
    assert stored[first.external_id]["content"]["article"]["source"] == "https://c.example/r/x"
    image_urn = stored[with_image.external_id]["content"]["media"]["id"]
    assert standin.images[image_urn] == PNG
    # Reconciliation: found by its text (whitespace aside) in the author's list; not otherwise.
    found = li.find_published(channel, post(text="Hello partners"), since())
    assert found is not None and found.external_id == first.external_id
    assert li.find_published(channel, post(text="Never posted"), since()) is None


def test_x_posts_and_uploads_media_and_finds_posts_despite_tco_links(
    standin: StandIn, config: PublishingConfig
) -> None:
    channel = oauth_channel(standin, ChannelKind.X, "2244994945")
    xp = publisher_for(ChannelKind.X, config)
    posted = xp.publish(channel, post(text="New brochure", link="https://c.example/r/y", image=PNG))
    tweet = standin.tweets[-1]
    assert posted.external_id == tweet["id"] and tweet["text"].endswith("https://t.co/abc123")
    assert PNG in standin.media.values()
    found = xp.find_published(
        channel, post(text="New brochure", link="https://c.example/r/y"), since()
    )
    assert found is not None and found.external_id == posted.external_id


def test_429_honours_retry_after_and_rate_limit_reset(
    standin: StandIn, config: PublishingConfig
) -> None:
    li = publisher_for(ChannelKind.LINKEDIN, config)
    channel = oauth_channel(standin, ChannelKind.LINKEDIN, ORG)
    standin.fault("/rest/posts", "429", retry_after="17")
    with pytest.raises(RetryLater) as caught:
        li.publish(channel, post())
    assert caught.value.retry_after == 17
    xp = publisher_for(ChannelKind.X, config)
    standin.fault("/2/tweets", "429", reset=str(int(time.time()) + 40))
    with pytest.raises(RetryLater) as caught:
        xp.publish(oauth_channel(standin, ChannelKind.X, "1"), post())
    assert caught.value.retry_after is not None and 35 <= caught.value.retry_after <= 40


def test_5xx_and_refused_connection_retry_later_and_504_is_unknown(
    standin: StandIn, config: PublishingConfig
) -> None:
    li = publisher_for(ChannelKind.LINKEDIN, config)
    channel = oauth_channel(standin, ChannelKind.LINKEDIN, ORG)
    standin.fault("/rest/posts", "503")
    with pytest.raises(RetryLater) as caught:
        li.publish(channel, post())
    assert caught.value.retry_after is None
    standin.fault("/rest/posts", "504")
    with pytest.raises(OutcomeUnknown):
        li.publish(channel, post())
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    with pytest.raises(RetryLater):
        publisher_for(ChannelKind.X, config_for(standin, x_api_base=dead)).publish(
            oauth_channel(standin, ChannelKind.X, "1"), post()
        )
    assert standin.linkedin_posts == [] or all(
        p["commentary"] != "Spring launch" for p in standin.linkedin_posts
    )


def test_an_answer_lost_after_sending_is_an_unknown_outcome_and_reconciles(
    standin: StandIn,
) -> None:
    config = config_for(standin, timeout=1.0)
    xp = publisher_for(ChannelKind.X, config)
    channel = oauth_channel(standin, ChannelKind.X, "42")
    standin.fault("/2/tweets", "drop")
    with pytest.raises(OutcomeUnknown):
        xp.publish(channel, post(text="Lost answer"))
    found = xp.find_published(channel, post(text="Lost answer"), since())
    assert found is not None  # it did go out: reconciliation must not post it again
    standin.fault("/2/tweets", "slow", seconds=1.5)
    with pytest.raises(OutcomeUnknown):
        xp.publish(channel, post(text="Slow answer"))


def test_401_refreshes_once_and_stores_the_new_tokens_then_needs_reconnect(
    standin: StandIn, config: PublishingConfig
) -> None:
    for kind, account in ((ChannelKind.LINKEDIN, ORG), (ChannelKind.X, "7")):
        channel = oauth_channel(standin, kind, account)
        before = unseal(KEY, channel.secret)
        standin.tokens.discard(before["access_token"])  # expired
        publisher_for(kind, config).publish(channel, post(text=f"after refresh {kind}"))
        after = unseal(KEY, channel.secret)
        assert (
            after["access_token"] != before["access_token"]
            and after["access_token"] in standin.tokens
        )
        assert after["refresh_token"] != before["refresh_token"]
        assert channel.token_expires_at is not None
    # No refresh token, or a refresh the service refuses: the partner must reconnect.
    bare = oauth_channel(standin, ChannelKind.X, "8", refresh=False)
    standin.tokens.discard(unseal(KEY, bare.secret)["access_token"])
    with pytest.raises(NeedsReconnect):
        publisher_for(ChannelKind.X, config).publish(bare, post())
    revoked = oauth_channel(standin, ChannelKind.LINKEDIN, ORG)
    creds = unseal(KEY, revoked.secret)
    standin.tokens.discard(creds["access_token"])
    standin.refresh_tokens.pop(creds["refresh_token"])
    with pytest.raises(NeedsReconnect):
        publisher_for(ChannelKind.LINKEDIN, config).publish(revoked, post())


def test_other_4xx_is_rejected(standin: StandIn, config: PublishingConfig) -> None:
    channel = oauth_channel(standin, ChannelKind.LINKEDIN, "not-a-urn")
    with pytest.raises(Rejected):
        publisher_for(ChannelKind.LINKEDIN, config).publish(channel, post())


def test_webhook_is_signed_and_carries_the_idempotency_key(
    standin: StandIn, config: PublishingConfig
) -> None:
    channel = Channel(
        kind=ChannelKind.WEBHOOK,
        account=f"{standin.url}/hook",
        secret=seal(KEY, {"secret": WEBHOOK_SECRET}),
    )
    # The stand-in is on loopback: a partner's host may be only with the explicit setting.
    hook = publisher_for(ChannelKind.WEBHOOK, config_for(standin, allow_private_hosts=True))
    a = hook.publish(channel, post(key="wh-1", text="Hi"))
    b = hook.publish(channel, post(key="wh-1", text="Hi"))  # a retry: the receiver dedupes
    assert a == b and a.external_id == "hook-wh-1"
    assert standin.hooks["wh-1"]["text"] == "Hi"
    wrong = Channel(
        kind=ChannelKind.WEBHOOK,
        account=f"{standin.url}/hook",
        secret=seal(KEY, {"secret": "not the one"}),
    )
    with pytest.raises(Rejected) as refused:
        hook.publish(wrong, post(key="wh-2"))
    # The status only: the receiver's body is not stored.
    assert re.fullmatch(r"HTTP 4\d\d", str(refused.value)), refused.value
    standin.errors.clear()  # the stand-in logged the bad signature, as it should
    # A 5xx answer's body is not kept either, and without the setting loopback is refused.
    standin.fault("/hook", "503")
    with pytest.raises(RetryLater) as later:
        hook.publish(channel, post(key="wh-3"))
    assert str(later.value) == "HTTP 503"
    with pytest.raises(Rejected, match="not on a public address"):
        publisher_for(ChannelKind.WEBHOOK, config).publish(channel, post(key="wh-4"))
    assert "wh-4" not in standin.hooks


# -- SMTP against a real server on loopback


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[tuple[int, list[Any]]]:
    from aiosmtpd.controller import Controller

    received: list[Any] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            received.append(envelope)
            return "250 OK"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, received
    finally:
        controller.stop()


def test_smtp_sends_one_message_per_recipient_with_unsubscribe_headers(
    smtp_server: tuple[int, list[Any]], config: PublishingConfig
) -> None:
    port, received = smtp_server
    received.clear()
    channel = Channel(
        kind=ChannelKind.SMTP,
        account="news@partner.example",
        secret=seal(
            KEY,
            {"host": "127.0.0.1", "port": port, "security": "none", "from": "news@partner.example"},
        ),
    )
    mail = post(
        key="mail-1",
        text="Plain text",
        subject="Our spring offer",
        html="<p>Hello</p>",
        recipients=("a@x.example", "b@y.example"),
        unsubscribe_urls={
            "a@x.example": "https://c.example/u/a",
            "b@y.example": "https://c.example/u/b",
        },
    )
    lax = dataclasses.replace(config, allow_private_hosts=True)  # the server is on loopback
    posted = publisher_for(ChannelKind.SMTP, lax).publish(channel, mail)
    assert posted.external_id == "smtp:mail-1:2"
    assert [e.rcpt_tos for e in received] == [["a@x.example"], ["b@y.example"]]
    msgs = [email.message_from_bytes(e.content, policy=email.policy.default) for e in received]
    assert msgs[0]["List-Unsubscribe"] == "<https://c.example/u/a>"
    assert msgs[1]["List-Unsubscribe"] == "<https://c.example/u/b>"
    assert all(m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" for m in msgs)
    ids = [m["Message-ID"] for m in msgs]
    assert all(i.startswith("<mail-1.") and i.endswith("@partner.example>") for i in ids)
    assert len(set(ids)) == 2 and msgs[0]["Subject"] == "Our spring offer"
    # STARTTLS asked of a server that offers none: nothing sent, try later.
    tls = Channel(
        kind=ChannelKind.SMTP,
        account="x@p.example",
        secret=seal(KEY, {"host": "127.0.0.1", "port": port, "security": "starttls"}),
    )
    with pytest.raises(RetryLater) as later:
        publisher_for(ChannelKind.SMTP, lax).publish(tls, mail)
    # A generic message: no exception text, no server banner or reply.
    assert str(later.value) == "Could not connect to the mail server."
    # Without the setting, a loopback mail server is refused before any connection.
    with pytest.raises(Rejected, match="not on a public address"):
        publisher_for(ChannelKind.SMTP, config).publish(channel, mail)
    assert len(received) == 2


def test_smtp_host_resolving_to_a_private_address_is_refused_and_errors_are_generic(
    smtp_server: tuple[int, list[Any]], config: PublishingConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prm_domain import outbound

    port, received = smtp_server
    received.clear()

    def resolve(host: str, p: int, *args: Any, **kw: Any) -> list[Any]:
        # The resolution step only: the name exists in no real DNS.
        assert host == "mail.partner.example"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", p))]

    monkeypatch.setattr(outbound, "getaddrinfo", resolve)
    creds = {
        "host": "mail.partner.example",
        "port": port,
        "security": "none",
        "from": "n@p.example",
    }
    channel = Channel(kind=ChannelKind.SMTP, account="n@p.example", secret=seal(KEY, creds))
    mail = post(key="mail-2", subject="S", recipients=("a@x.example",))
    with pytest.raises(Rejected) as refused:
        publisher_for(ChannelKind.SMTP, config).publish(channel, mail)
    assert str(refused.value) == "The mail server is not on a public address."
    assert received == []
    # Allowed (a test or intranet setting): it connects to the checked address.
    lax = dataclasses.replace(config, allow_private_hosts=True)
    assert (
        publisher_for(ChannelKind.SMTP, lax).publish(channel, mail).external_id == "smtp:mail-2:1"
    )
    # A login the server cannot take: generic words, not the server's reply.
    with_login = Channel(
        kind=ChannelKind.SMTP,
        account="n@p.example",
        secret=seal(KEY, {**creds, "username": "u", "password": "p"}),
    )
    with pytest.raises(RetryLater) as later:
        publisher_for(ChannelKind.SMTP, lax).publish(with_login, mail)
    assert str(later.value) == "Could not connect to the mail server."


def test_api_calls_keep_their_connection_and_never_reuse_one_the_server_closed(
    standin: StandIn,
) -> None:
    from prm_domain.publishing import http

    token = f"at-{standin.next_id()}"
    standin.tokens.add(token)
    url, auth = f"{standin.url}/2/users/me", {"Authorization": f"Bearer {token}"}

    def call(**kw: Any) -> http.Response:
        return http.request("GET", url, headers=auth, allow_private=True, keep_alive=True, **kw)

    http.close_kept()
    try:
        assert call().status == 200
        (kept,) = http._kept.conns.values()
        assert call().status == 200
        assert list(http._kept.conns.values()) == [kept]  # the same connection, reused
        # The server closes it (its idle timeout): the next call opens a new one.
        assert kept.sock is not None
        kept.sock.shutdown(socket.SHUT_RDWR)
        assert http._dropped(kept.sock)
        assert call().status == 200
        (fresh,) = http._kept.conns.values()
        assert fresh is not kept and kept.sock is None
        # Kept per origin and timeout (a connection's timeout is set when it opens).
        assert call(timeout=5.0).status == 200 and len(http._kept.conns) == 2
    finally:
        http.close_kept()
    a, b = socket.socketpair()
    with a, b:
        assert not http._dropped(a)  # idle and open: reusable
        b.close()
        assert http._dropped(a)
