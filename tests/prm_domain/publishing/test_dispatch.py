"""The dispatch engine on SQLite and Postgres: claims, one attempt per claim, outcomes mapped
to states, reconnection, and reconciliation of attempts a dead worker left behind."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from prm_domain.base import utcnow
from prm_domain.enums import ChannelKind, ChannelStatus, PublicationState
from prm_domain.models import Partner
from prm_domain.models.channel import Channel
from prm_domain.models.publication import Publication
from prm_domain.models.syndication import Notification
from prm_domain.publishing import PublishingConfig, dispatch
from prm_domain.publishing.secrets import unseal
from tests.prm_domain.publishing.conftest import KEY, oauth_channel
from tests.prm_domain.publishing.standins import StandIn

S = PublicationState
ORG = "urn:li:organization:42"


@pytest.fixture
def world(
    session: Session, make_partner: Callable[..., Partner], standin: StandIn
) -> Callable[..., Publication]:
    partner = make_partner()

    def publication(channel: Channel | None = None, **kw: Any) -> Publication:
        if channel is None:
            channel = oauth_channel(standin, ChannelKind.LINKEDIN, ORG, partner_id=partner.id)
        if channel.id is None:
            channel.partner_id = partner.id
            session.add(channel)
            session.flush()
        values: dict[str, Any] = {
            "partner_id": partner.id,
            "channel_id": channel.id,
            "kind": "social",
            "key": uuid.uuid4().hex,
            "due_at": utcnow() - dt.timedelta(seconds=5),
            "content": {"text": f"Post {uuid.uuid4().hex[:8]}"},
            **kw,
        }
        pub = Publication(**values)
        session.add(pub)
        session.flush()
        return pub

    return publication


def run(session: Session, config: PublishingConfig, claimed: dispatch.Claimed) -> str:
    """What the publish task does, minus the commits."""
    if not dispatch.start_attempt(session, claimed.id, claimed.key, claimed.attempt):
        return "duplicate"
    attempt = dispatch.send(session, config, claimed.id)
    assert attempt is not None
    return dispatch.record(session, attempt)


def state(session: Session, pub: Publication) -> Publication:
    session.expire_all()
    fresh = session.get(Publication, pub.id)
    assert fresh is not None
    return fresh


def test_due_posts_are_claimed_once_and_a_duplicate_delivery_publishes_once(
    session: Session,
    world: Callable[..., Publication],
    config: PublishingConfig,
    standin: StandIn,
) -> None:
    due = world()
    later = world(due_at=utcnow() + dt.timedelta(hours=1))
    waiting = world(next_attempt_at=utcnow() + dt.timedelta(minutes=5))
    claimed = dispatch.claim_due(session)
    assert [c.id for c in claimed] == [due.id]
    assert dispatch.claim_due(session) == []  # a second dispatcher finds nothing
    before = len(standin.linkedin_posts)
    assert run(session, config, claimed[0]) == "published"
    assert run(session, config, claimed[0]) == "duplicate"  # the same message, delivered again
    assert len(standin.linkedin_posts) == before + 1
    done = state(session, due)
    assert done.state is S.PUBLISHED and done.external_id.startswith("urn:li:share:")
    assert done.external_url.endswith(f"{done.external_id}/") and done.attempts == 1
    assert state(session, later).state is S.SCHEDULED
    assert state(session, waiting).state is S.SCHEDULED


def test_429_5xx_and_rejection_map_to_retry_and_failed(
    session: Session,
    world: Callable[..., Publication],
    config: PublishingConfig,
    standin: StandIn,
) -> None:
    pub = world()
    standin.fault("/rest/posts", "429", retry_after="120")
    (c,) = dispatch.claim_due(session)
    assert run(session, config, c) == "retry"
    after = state(session, pub)
    assert after.state is S.SCHEDULED and after.next_attempt_at is not None
    wait = (after.next_attempt_at - utcnow()).total_seconds()
    assert 110 < wait <= 120 and "429" in after.last_error
    after.next_attempt_at = utcnow() - dt.timedelta(seconds=1)
    standin.fault("/rest/posts", "500")
    (c,) = dispatch.claim_due(session)
    assert run(session, config, c) == "retry"
    after = state(session, pub)
    backoff = (after.next_attempt_at - utcnow()).total_seconds()  # type: ignore[operator]
    assert 0.8 * 60 - 2 < backoff < 1.2 * 60  # attempt 2: 30 s doubled, jittered
    # The last allowed attempt fails for good.
    after.next_attempt_at, after.attempts = None, dispatch.MAX_ATTEMPTS - 1
    standin.fault("/rest/posts", "503")
    (c,) = dispatch.claim_due(session)
    assert run(session, config, c) == "failed"
    assert state(session, pub).state is S.FAILED
    bad = world(channel=oauth_channel(standin, ChannelKind.LINKEDIN, "urn:li:nobody"))
    (c,) = dispatch.claim_due(session)
    assert run(session, config, c) == "failed"
    assert "author" in state(session, bad).last_error


def test_401_marks_the_channel_tells_the_partner_and_holds_its_posts(
    session: Session,
    world: Callable[..., Publication],
    config: PublishingConfig,
    standin: StandIn,
) -> None:
    channel = oauth_channel(standin, ChannelKind.X, "99", refresh=False)
    pub = world(channel=channel)
    standin.tokens.discard(unseal(KEY, channel.secret)["access_token"])
    (c,) = dispatch.claim_due(session)
    assert run(session, config, c) == "reconnect"
    session.expire_all()
    assert channel.status is ChannelStatus.NEEDS_RECONNECT
    assert state(session, pub).state is S.SCHEDULED
    told = session.scalars(
        select(Notification).where(Notification.partner_id == channel.partner_id)
    ).all()
    assert len(told) == 1 and told[0].link == "/channels"
    assert dispatch.claim_due(session) == []  # nothing goes out on it until it is reconnected
    channel.status = ChannelStatus.CONNECTED
    access = f"at-{standin.next_id()}"
    standin.tokens.add(access)
    from prm_domain.publishing.secrets import seal

    channel.secret = seal(KEY, {"access_token": access})
    (c,) = dispatch.claim_due(session)
    assert run(session, config, c) == "published"


def test_a_refreshed_token_is_stored(
    session: Session,
    world: Callable[..., Publication],
    config: PublishingConfig,
    standin: StandIn,
) -> None:
    pub = world()
    channel = session.get(Channel, pub.channel_id)
    assert channel is not None
    old = unseal(KEY, channel.secret)
    standin.tokens.discard(old["access_token"])
    (c,) = dispatch.claim_due(session)
    assert run(session, config, c) == "published"
    session.expire_all()
    assert unseal(KEY, channel.secret)["access_token"] in standin.tokens


def test_a_stale_attempt_is_reconciled_with_the_service_list(
    session: Session,
    world: Callable[..., Publication],
    config: PublishingConfig,
    standin: StandIn,
) -> None:
    went_out, lost = world(), world()
    for _ in (went_out, lost):
        (c,) = dispatch.claim_due(session, limit=1)
        assert dispatch.start_attempt(session, c.id, c.key, c.attempt)
    # The first went out (its answer was lost with the worker); the second never left.
    standin.linkedin_posts.append(
        {
            "id": "urn:li:share:1",
            "author": ORG,
            "commentary": went_out.content["text"],
            "createdAt": int(utcnow().timestamp() * 1000),
        }
    )
    assert dispatch.stale_ids(session) == []  # not stale yet: the attempt may be alive
    stale = utcnow() - dispatch.STALE_AFTER - dt.timedelta(seconds=1)
    for pub in (went_out, lost):
        state(session, pub).claimed_at = stale
        session.flush()
    assert sorted(dispatch.stale_ids(session)) == sorted([went_out.id, lost.id])
    assert dispatch.reconcile(session, config, went_out.id) == "published"
    assert dispatch.reconcile(session, config, lost.id) == "rescheduled"
    assert state(session, went_out).external_id == "urn:li:share:1"
    assert state(session, lost).state is S.SCHEDULED
    (c,) = dispatch.claim_due(session)
    assert c.id == lost.id and run(session, config, c) == "published"
    texts = [p["commentary"] for p in standin.linkedin_posts]
    assert texts.count(went_out.content["text"]) == 1 and texts.count(lost.content["text"]) == 1


def test_a_claim_no_task_started_is_requeued_not_reconciled(
    session: Session, world: Callable[..., Publication], config: PublishingConfig
) -> None:
    pub = world()
    (c,) = dispatch.claim_due(session)
    assert dispatch.stale_ids(session, now=utcnow() + dt.timedelta(hours=1)) == []
    assert dispatch.requeue_lost_claims(session) == 0  # its message may still be queued
    later = utcnow() + dispatch.LOST_AFTER + dt.timedelta(seconds=1)
    assert dispatch.requeue_lost_claims(session, now=later) == 1
    assert state(session, pub).state is S.SCHEDULED
    (again,) = dispatch.claim_due(session)
    assert run(session, config, again) == "published"
    assert run(session, config, c) == "duplicate"  # the old message, delivered late


def test_posts_of_a_removed_channel_are_skipped(
    session: Session, world: Callable[..., Publication]
) -> None:
    pub = world()
    pub.channel_id = None
    session.flush()
    assert dispatch.skip_orphans(session) == 1
    assert state(session, pub).state is S.SKIPPED


def test_a_chunk_is_started_once_sent_from_one_read_and_given_back_unsent(
    session: Session,
    world: Callable[..., Publication],
    config: PublishingConfig,
    standin: StandIn,
) -> None:
    """What a publish task does with a chunk of claims, minus the commits: one UPDATE starts
    them (a duplicate delivery of the chunk starts none), one read loads them detached, each
    is sent and recorded; one not sent in time goes back to be claimed again, and goes out
    once."""
    pubs = [world() for _ in range(3)]
    claims = dispatch.claim_due(session)
    assert sorted(c.id for c in claims) == sorted(p.id for p in pubs)
    stale_claim = dispatch.Claimed(id=claims[0].id, key=claims[0].key, attempt=5)
    assert dispatch.start_attempts(session, [stale_claim]) == []  # not the claimed attempt
    assert sorted(dispatch.start_attempts(session, claims)) == sorted(c.id for c in claims)
    assert dispatch.start_attempts(session, claims) == []  # the chunk delivered again
    loaded = dispatch.load(session, [c.id for c in claims], detach=True)
    assert all(p not in session for p, _ in loaded.values())
    before = len(standin.linkedin_posts)
    first, second, third = (loaded[c.id] for c in claims)
    for pub, channel in (first, second):
        sent = dispatch.send(session, config, pub.id, (pub, channel))
        assert sent is not None and dispatch.record(session, sent) == "published"
    assert len(standin.linkedin_posts) == before + 2
    # The task ran long: the third was started but not sent, and goes back.
    assert dispatch.give_back(session, [third[0]]) == 1
    assert dispatch.give_back(session, [third[0]]) == 0
    back = state(session, third[0])
    assert back.state is S.SCHEDULED and back.claimed_at is None and back.attempts == 1
    # Its old delivery cannot start it again; the next claim publishes it once.
    old = next(c for c in claims if c.id == back.id)
    assert dispatch.start_attempts(session, [old]) == []
    (again,) = dispatch.claim_due(session)
    assert again.id == back.id and run(session, config, again) == "published"
    assert len(standin.linkedin_posts) == before + 3
    assert {state(session, p).state for p in pubs} == {S.PUBLISHED}


def test_an_outcome_is_recorded_even_if_the_channel_went_away_meanwhile(
    session: Session, world: Callable[..., Publication], config: PublishingConfig
) -> None:
    pub = world()
    (c,) = dispatch.claim_due(session)
    assert dispatch.start_attempt(session, c.id, c.key, c.attempt)
    sent = dispatch.send(session, config, c.id)
    assert sent is not None
    channel = session.get(Channel, pub.channel_id)
    session.delete(channel)
    session.flush()
    # The post is out: it is recorded as published, not skipped (nor sent again).
    assert dispatch.record(session, sent) == "published"
    assert state(session, pub).state is S.PUBLISHED
