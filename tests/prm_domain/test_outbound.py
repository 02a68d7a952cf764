"""SSRF: hosts someone else chose (a partner's webhook, a vendor's deal webhook) are connected
to only on public addresses, checked after resolving; only the resolution step is replaced
here (``outbound.getaddrinfo``), the connections are real (to the loopback stand-ins)."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from prm_domain import outbound
from prm_domain.deals import webhooks
from prm_domain.enums import ChannelKind, Role
from prm_domain.errors import ValidationError
from prm_domain.models import DealWebhook, User, WebhookDelivery
from prm_domain.models.channel import Channel
from prm_domain.publishing import OutgoingPost, Rejected, publisher_for
from prm_domain.publishing.secrets import seal
from tests.prm_domain.publishing.conftest import KEY, config_for
from tests.prm_domain.publishing.standins import WEBHOOK_SECRET, StandIn, running

Resolve = Callable[[dict[str, list[str]]], None]


@pytest.fixture(scope="module")
def standin() -> Iterator[StandIn]:
    with running() as server:
        yield server


@pytest.fixture
def resolves(monkeypatch: pytest.MonkeyPatch) -> Resolve:
    """Make names resolve to the given addresses (the resolution step only)."""

    def install(table: dict[str, list[str]]) -> None:
        def fake(host: str, port: int, *args: Any, **kw: Any) -> list[Any]:
            if host not in table:
                raise socket.gaierror(socket.EAI_NONAME, "unknown name")
            return [
                (
                    socket.AF_INET6 if ":" in a else socket.AF_INET,
                    socket.SOCK_STREAM,
                    6,
                    "",
                    (a, port),
                )
                for a in table[host]
            ]

        monkeypatch.setattr(outbound, "getaddrinfo", fake)

    return install


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", True),
        ("127.0.0.1", False),
        ("10.0.0.5", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # the cloud metadata endpoint
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),  # noqa: S104 - an address to refuse, not a bind
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),  # IPv4-mapped
        ("2002:7f00:1::", False),  # 6to4 around 127.0.0.1
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 around 169.254.169.254
        ("not an address", False),
    ],
)
def test_only_global_unicast_addresses_are_public(address: str, public: bool) -> None:
    assert outbound.is_public(address) is public


def test_hosts_given_at_save_time_must_be_public_dns_names() -> None:
    assert outbound.check_host("host", "Mail.Partner.example") == "mail.partner.example"
    assert outbound.check_url("url", "https://hooks.partner.example/in") == (
        "https://hooks.partner.example/in"
    )
    for host in ("127.0.0.1", "10.0.0.5", "redis", "localhost", "metadata.google.internal",
                 "nas.home.arpa", "::1", "0x7f.1"):  # fmt: skip
        with pytest.raises(ValidationError) as refused:
            outbound.check_host("host", host)
        assert refused.value.fields and "host" in refused.value.fields


def post(key: str) -> OutgoingPost:
    return OutgoingPost(key=key, text="Hi")


def hook_channel(standin: StandIn, host: str) -> Channel:
    port = standin.url.rsplit(":", 1)[1]
    return Channel(
        kind=ChannelKind.WEBHOOK,
        account=f"http://{host}:{port}/hook",
        secret=seal(KEY, {"secret": WEBHOOK_SECRET}),
    )


@pytest.mark.parametrize(
    "addresses",
    [["127.0.0.1"], ["169.254.169.254"], ["10.0.0.5"], ["93.184.215.14", "127.0.0.1"]],
)
def test_a_webhook_name_resolving_to_a_private_address_is_refused_at_send_time(
    standin: StandIn, resolves: Resolve, addresses: list[str]
) -> None:
    resolves({"hooks.partner.example": addresses})
    hook = publisher_for(ChannelKind.WEBHOOK, config_for(standin))
    with pytest.raises(Rejected) as refused:
        hook.publish(hook_channel(standin, "hooks.partner.example"), post("ssrf-1"))
    assert str(refused.value) == "hooks.partner.example is not on a public address"
    assert "ssrf-1" not in standin.hooks  # nothing reached the loopback server


def test_the_connection_goes_to_the_checked_address_not_a_second_lookup(
    standin: StandIn, resolves: Resolve
) -> None:
    # The name exists only in the fake table: a second, real lookup would fail.
    resolves({"hooks.partner.example": ["127.0.0.1"]})
    lax = config_for(standin, allow_private_hosts=True)
    posted = publisher_for(ChannelKind.WEBHOOK, lax).publish(
        hook_channel(standin, "hooks.partner.example"), post("ssrf-2")
    )
    assert posted.external_id == "hook-ssrf-2" and posted.external_url == ""
    assert standin.hooks["ssrf-2"]["text"] == "Hi"


class Redirecting(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []  # noqa: RUF012 - reset per test

    def do_POST(self) -> None:
        Redirecting.hits.append(self.path)
        self.rfile.read(int(self.headers["Content-Length"]))
        if self.path == "/hook":
            self.send_response(307)
            self.send_header("Location", "/internal")
        else:
            self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def redirecting() -> Iterator[int]:
    Redirecting.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirecting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


def test_deal_webhooks_refuse_private_addresses_and_never_follow_redirects(
    session: Session, resolves: Resolve, redirecting: int
) -> None:
    resolves({"crm.vendor.example": ["10.0.0.5"], "loop.vendor.example": ["127.0.0.1"]})
    private = DealWebhook(url="https://crm.vendor.example/hook", secret="s" * 64)
    redirect = DealWebhook(url=f"http://loop.vendor.example:{redirecting}/hook", secret="s" * 64)
    session.add_all([private, redirect])
    session.flush()
    rows = [
        WebhookDelivery(webhook_id=h.id, event_id="ev-1", body="{}") for h in (private, redirect)
    ]
    session.add_all(rows)
    session.flush()
    # By default even the loopback receiver is refused, before any connection.
    assert webhooks.deliver_pending(session) == 0
    assert [r.last_error for r in rows] == ["The host is not on a public address."] * 2
    assert Redirecting.hits == []
    # Allowed (the tests' setting): a 307 is a failed delivery, not followed.
    private.active = False  # (no connection to 10.0.0.5 from a test)
    assert webhooks.deliver_pending(session, allow_private_hosts=True) == 0
    assert rows[1].last_error == "HTTP 307" and Redirecting.hits == ["/hook"]


def test_deal_webhook_urls_must_be_public_dns_names(
    session: Session, make_user: Callable[..., User]
) -> None:
    vendor = make_user(Role.VENDOR_ADMIN)
    for url in ("http://127.0.0.1:8080/", "http://metadata.google.internal/", "http://redis/"):
        with pytest.raises(ValidationError) as refused:
            webhooks.add_webhook(session, vendor, url)
        assert refused.value.fields and "url" in refused.value.fields
    assert session.scalar(select(func.count()).select_from(DealWebhook)) == 0
