"""Hard bounces: a real SMTP server on loopback (aiosmtpd) refuses one recipient for good; the
others still get their mail, the refused contact is marked bounced for that partner, and the
next campaign email does not go to it. Temporary and policy refusals mark nothing."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from prm_domain.campaigns import campaigns, contacts, enrolments
from prm_domain.enums import ChannelKind, ContactStatus, PublicationState, Role
from prm_domain.models import Contact, Enrolment, Partner, Publication, User
from prm_domain.models.audit import AuditEvent
from prm_domain.models.channel import Channel
from prm_domain.publishing import OutgoingPost, PublishingConfig, dispatch, publisher_for
from prm_domain.publishing.secrets import seal
from prm_domain.publishing.smtp import address_refused
from tests.prm_domain.publishing.conftest import KEY

BASE = "https://portal.example"
GONE = "gone@mail.example"  # no such mailbox: 550 5.1.1 on RCPT TO
DATA_GONE = "closed@mail.example"  # accepted at RCPT TO, refused for good at DATA
POLICY = "strict@mail.example"  # refused at DATA for the content (5.7.1): not a bounce
BUSY = "busy@mail.example"  # a temporary refusal (450): not a bounce


class Server:
    def __init__(self) -> None:
        self.received: list[Any] = []
        self.port = 0


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[Server]:
    from aiosmtpd.controller import Controller

    server = Server()

    class Handler:
        async def handle_RCPT(
            self, srv: Any, session: Any, envelope: Any, address: str, options: Any
        ) -> str:
            if address == GONE:
                return "550 5.1.1 No such user here"
            if address == BUSY:
                return "450 4.2.1 Mailbox busy, try later"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, srv: Any, session: Any, envelope: Any) -> str:
            if envelope.rcpt_tos == [DATA_GONE]:
                return "550 5.2.1 Mailbox disabled"
            if envelope.rcpt_tos == [POLICY]:
                return "554 5.7.1 Message refused by policy"
            server.received.append(envelope)
            return "250 OK"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        server.port = s.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=server.port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture
def config() -> PublishingConfig:
    # The server is on loopback: the SSRF guard lets it through only with this setting.
    return PublishingConfig(secret_key=KEY, public_base_url=BASE, allow_private_hosts=True)


def smtp_channel(port: int, partner_id: int | None = None) -> Channel:
    creds = {"host": "127.0.0.1", "port": port, "security": "none", "from": "news@p.example"}
    return Channel(
        partner_id=partner_id,
        kind=ChannelKind.SMTP,
        account="news@p.example",
        secret=seal(KEY, creds),
    )


def test_address_refused_tells_a_hard_bounce_from_other_refusals() -> None:
    assert address_refused(550, b"5.1.1 No such user")
    assert address_refused(550, "Requested action not taken: mailbox unavailable")
    assert address_refused(553, b"mailbox name not allowed")
    assert address_refused(554, b"5.2.1 mailbox disabled")
    assert not address_refused(552, b"5.2.2 mailbox full")
    assert not address_refused(554, b"5.7.1 refused by policy")
    assert not address_refused(550, b"5.7.1 Service unavailable, client host blocked")
    assert not address_refused(554, b"Transaction failed")
    assert not address_refused(450, b"4.2.1 try later")


def test_publisher_reports_permanent_refusals_and_still_mails_the_others(
    smtp_server: Server, config: PublishingConfig
) -> None:
    smtp_server.received.clear()
    everyone = ("a@mail.example", GONE, DATA_GONE, POLICY, BUSY, "b@mail.example")
    post = OutgoingPost(
        key="bounce-1",
        text="Hello",
        subject="News",
        recipients=everyone,
        unsubscribe_urls={a: f"{BASE}/unsubscribe/{i}" for i, a in enumerate(everyone)},
    )
    posted = publisher_for(ChannelKind.SMTP, config).publish(smtp_channel(smtp_server.port), post)
    assert [e.rcpt_tos for e in smtp_server.received] == [["a@mail.example"], ["b@mail.example"]]
    assert posted.bounced == (GONE, DATA_GONE)
    assert posted.external_id == "smtp:bounce-1:2"


@pytest.fixture
def world(
    session: Session, make_user: Callable[..., User], make_partner: Callable[..., Partner]
) -> dict[str, Any]:
    marketing = make_user(Role.MARKETING_MANAGER)
    partner, other = make_partner(), make_partner()
    admin = make_user(Role.PARTNER_ADMIN, partner=partner)
    other_admin = make_user(Role.PARTNER_ADMIN, partner=other)
    for actor in (admin, other_admin):
        for address in ("ana@mail.example", GONE):
            contacts.add_contact(session, actor, {"email": address, "consent_source": "webinar"})
    return {"marketing": marketing, "partner": partner, "admin": admin, "other": other}


def email_campaign(session: Session, world: dict[str, Any], name: str, channel: Channel) -> int:
    """A launched campaign with one email due at once, approved by the partner on SMTP."""
    marketing = world["marketing"]
    campaign = campaigns.create_campaign(session, marketing, {"name": name})
    # Day 0 at 00:00 local has passed by the approval: due at once.
    campaigns.add_item(
        session,
        marketing,
        campaign.id,
        {"kind": "email", "subject": f"{name} news", "text": "Hello!", "day": 0, "time": "00:00"},
    )
    campaigns.launch_campaign(session, marketing, campaign.id)
    enrolment = session.scalars(
        select(Enrolment).where(
            Enrolment.campaign_id == campaign.id, Enrolment.partner_id == world["partner"].id
        )
    ).one()
    enrolments.approve(session, world["admin"], enrolment.id, {"channel_ids": [channel.id]}, BASE)
    return campaign.id


def dispatch_all(session: Session, config: PublishingConfig) -> list[str]:
    """What the scheduler and its publish tasks do, minus the commits."""
    outcomes = []
    for claimed in dispatch.claim_due(session):
        assert dispatch.start_attempt(session, claimed.id, claimed.key, claimed.attempt)
        attempt = dispatch.send(session, config, claimed.id)
        assert attempt is not None
        outcomes.append(dispatch.record(session, attempt))
    return outcomes


def test_a_refused_recipient_is_marked_bounced_and_the_next_email_skips_it(
    session: Session, world: dict[str, Any], smtp_server: Server, config: PublishingConfig
) -> None:
    smtp_server.received.clear()
    partner = world["partner"]
    channel = smtp_channel(smtp_server.port, partner.id)
    session.add(channel)
    session.flush()
    first = email_campaign(session, world, "Spring", channel)
    assert dispatch_all(session, config) == ["published"]
    assert [e.rcpt_tos for e in smtp_server.received] == [["ana@mail.example"]]
    session.expire_all()
    status = {
        (c.partner_id, c.email): c.status
        for c in session.scalars(select(Contact).where(Contact.email == GONE))
    }
    # Bounced for this partner only: the other partner's contact of that address is its own.
    assert status == {
        (partner.id, GONE): ContactStatus.BOUNCED,
        (world["other"].id, GONE): ContactStatus.SUBSCRIBED,
    }
    assert (
        session.scalar(select(AuditEvent).where(AuditEvent.action == "contact.bounced")) is not None
    )
    pub = session.scalars(select(Publication).where(Publication.campaign_id == first)).one()
    assert pub.state is PublicationState.PUBLISHED and pub.external_id.endswith(":1")
    # The next campaign's email goes to the subscribed contact only: the server sees no
    # second attempt at the bounced address (it would refuse it again).
    smtp_server.received.clear()
    email_campaign(session, world, "Summer", channel)
    post_recipients = dispatch.outgoing_post(
        session,
        session.scalars(
            select(Publication).where(Publication.state == PublicationState.SCHEDULED)
        ).one(),
        config,
    ).recipients
    assert post_recipients == ("ana@mail.example",)
    assert dispatch_all(session, config) == ["published"]
    assert [e.rcpt_tos for e in smtp_server.received] == [["ana@mail.example"]]
    msg = email.message_from_bytes(smtp_server.received[0].content, policy=email.policy.default)
    assert msg["Subject"] == "Summer news"
    # Marking it again changes nothing (one audit entry, one state).
    assert not contacts.mark_bounced(session, partner.id, GONE)
