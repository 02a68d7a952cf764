"""The dispatch engine: due publications are claimed in the database, published once, and
settled (published, failed, retried later, or reconciled after a dead worker).

The states and who moves them:

- ``claim_due`` (the periodic job): ``scheduled`` -> ``publishing`` by one conditional UPDATE
  per batch (``WHERE state = 'scheduled'``), RETURNING the rows it won; two dispatchers running
  at once each win different rows. Each won row is then enqueued with its ``attempts`` value.
- ``start_attempt`` (the publish task, committed before any network call): bumps ``attempts``
  only when it still equals the value the claim saw. A duplicate delivery finds it bumped
  and does nothing; so does a delivery for a row already settled.
- ``send`` then ``record``: calls the publisher, then records the outcome in a transaction of
  its own, only while the row is still this attempt's (``attempts`` fences a reconciler).
- ``reconcile``: a row left ``publishing`` past ``STALE_AFTER`` (its worker died, or its answer
  was lost) is looked up in the service's own list; found, it is published; not found, it is
  scheduled again at once. ``STALE_AFTER`` exceeds the publish task's hard time limit, so a
  live attempt is never reconciled under its feet.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select, tuple_, update
from sqlalchemy.orm import Session

from prm_domain import access
from prm_domain.base import utcnow
from prm_domain.enums import ChannelStatus, PublicationState
from prm_domain.models.channel import Channel
from prm_domain.models.partner import Partner
from prm_domain.models.publication import Publication
from prm_domain.models.syndication import Notification
from prm_domain.publishing import (
    NeedsReconnect,
    OutcomeUnknown,
    OutgoingPost,
    Posted,
    PublishError,
    PublishingConfig,
    RetryLater,
    publisher_for,
)
from prm_domain.publishing.secrets import SecretUnreadable

log = logging.getLogger(__name__)

# Beyond the publish task's hard time limit (app/tasks.py), so only dead attempts are stale.
STALE_AFTER = dt.timedelta(seconds=60)
# A claim whose task never started (lost message): requeued after this. Longer than any
# queue backlog we expect, so a waiting message is not duplicated needlessly.
LOST_AFTER = dt.timedelta(minutes=10)
MAX_ATTEMPTS = 8
BACKOFF_BASE = 30.0  # seconds, doubled per attempt
BACKOFF_CAP = 3600.0
BATCH = 500
# Claims per publish task: one delivery's overhead (broker, result, app context) shared by
# this many posts, small enough that the workers share a burst evenly and a task ends well
# inside its time limit.
TASK_CHUNK = 20

S = PublicationState


@dataclass(frozen=True)
class Claimed:
    id: int
    key: str
    attempt: int


def outgoing_post(
    session: Session, publication: Publication, config: PublishingConfig
) -> OutgoingPost:
    """The publication as its channel sends it, rendered at send time by the campaigns side
    (an email's recipients are whoever is subscribed now)."""
    from prm_domain.campaigns import sending

    return sending.outgoing_post(session, publication, config)


def _record_bounces(session: Session, partner_id: int, addresses: tuple[str, ...]) -> None:
    from prm_domain.campaigns import contacts

    for address in addresses:
        contacts.mark_bounced(session, partner_id, address)


def backoff(attempts: int) -> float:
    """Seconds before try ``attempts + 1``: exponential, capped, jittered so that retries of a
    burst do not march on the service together."""
    delay = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1))
    jitter: float = random.uniform(0.8, 1.2)  # noqa: S311 (spreading load, not a secret)
    return float(delay) * jitter


def _due(now: dt.datetime) -> Any:
    return and_(
        Publication.state == S.SCHEDULED,
        Publication.due_at <= now,
        or_(Publication.next_attempt_at.is_(None), Publication.next_attempt_at <= now),
    )


def skip_orphans(session: Session, now: dt.datetime | None = None) -> int:
    """Due publications whose channel was removed: skipped, with the reason."""
    now = now or utcnow()
    result = session.execute(
        update(Publication)
        .where(_due(now), Publication.channel_id.is_(None))
        .values(state=S.SKIPPED, last_error="The channel was removed.", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def claim_due(
    session: Session, now: dt.datetime | None = None, limit: int = BATCH
) -> list[Claimed]:
    """Claim up to ``limit`` due publications on connected channels (``scheduled`` ->
    ``publishing``). The UPDATE re-checks ``state = 'scheduled'`` on each row it locks, so a
    concurrent claimer never wins the same row (Postgres re-evaluates the WHERE after the
    other's commit; SQLite has one writer at a time)."""
    now = now or utcnow()
    candidates = (
        select(Publication.id)
        .join(Channel, Channel.id == Publication.channel_id)
        .join(Partner, Partner.id == Publication.partner_id)
        .where(
            _due(now),
            Channel.status == ChannelStatus.CONNECTED,
            # A suspended or exited partner's posts are held, not sent (access: campaigns
            # are content, open to the statuses that open content).
            Partner.status.in_(access.statuses_opening(access.Area.CONTENT)),
        )
        .order_by(Publication.due_at, Publication.id)
        .limit(limit)
        .scalar_subquery()
    )
    rows = session.execute(
        update(Publication)
        .where(Publication.id.in_(candidates), Publication.state == S.SCHEDULED)
        # claimed_at stays empty until a task starts the attempt: a row waiting in a long
        # queue is not mistaken for a dead worker's. next_attempt_at records the claim.
        .values(state=S.PUBLISHING, claimed_at=None, next_attempt_at=now, updated_at=now)
        .returning(Publication.id, Publication.key, Publication.attempts)
        .execution_options(synchronize_session=False)
    ).all()
    return [Claimed(id=r[0], key=r[1], attempt=r[2]) for r in rows]


def start_attempt(session: Session, publication_id: int, key: str, attempt: int) -> bool:
    """Make this delivery the one attempt of the claim; False for a duplicate or a stale one."""
    now = utcnow()
    result = session.execute(
        update(Publication)
        .where(
            Publication.id == publication_id,
            Publication.key == key,
            Publication.state == S.PUBLISHING,
            Publication.attempts == attempt,
        )
        .values(attempts=attempt + 1, claimed_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def start_attempts(session: Session, claims: Sequence[Claimed]) -> list[int]:
    """:func:`start_attempt` for many claims in one UPDATE; the ids this delivery started (a
    concurrent duplicate of the same claims re-evaluates the row after this one's commit and
    finds ``attempts`` bumped)."""
    if not claims:
        return []
    now = utcnow()
    started = session.execute(
        update(Publication)
        .where(
            tuple_(Publication.id, Publication.key, Publication.attempts).in_(
                [(c.id, c.key, c.attempt) for c in claims]
            ),
            Publication.state == S.PUBLISHING,
        )
        .values(attempts=Publication.attempts + 1, claimed_at=now, updated_at=now)
        .returning(Publication.id)
        .execution_options(synchronize_session=False)
    )
    return list(started.scalars())


def load(
    session: Session, ids: Sequence[int], *, detach: bool = False
) -> dict[int, tuple[Publication, Channel | None]]:
    """Started publications with their channels, in one query. ``detach``: taken out of the
    session, for a publish task that sends them one by one and commits each outcome (a
    rollback would expire them, and each would be read again). What changes during an
    attempt (a refreshed token) is carried by the :class:`Attempt` to :func:`record`."""
    if not ids:
        return {}
    rows = session.execute(
        select(Publication, Channel)
        .outerjoin(Channel, Channel.id == Publication.channel_id)
        .where(Publication.id.in_(ids))
        .execution_options(populate_existing=True)
    ).all()
    loaded: dict[int, tuple[Publication, Channel | None]] = {}
    for pub, channel in rows:
        if detach:
            session.expunge(pub)
            if channel is not None and channel in session:
                session.expunge(channel)
        loaded[pub.id] = (pub, channel)
    return loaded


def give_back(session: Session, started: Sequence[Publication]) -> int:
    """Started publications a task will not send after all (it ran long, and a reconciler
    must never find a live attempt stale): scheduled again at once. Nothing was sent; only a
    row still at this attempt goes back."""
    now = utcnow()
    back = 0
    for pub in started:
        result = session.execute(
            update(Publication)
            .where(
                Publication.id == pub.id,
                Publication.state == S.PUBLISHING,
                Publication.attempts == pub.attempts,
                Publication.claimed_at.is_not(None),
            )
            .values(state=S.SCHEDULED, claimed_at=None, next_attempt_at=None, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        back += int(getattr(result, "rowcount", 0) or 0)
    return back


def _settle(session: Session, publication_id: int, attempts: int, **values: Any) -> bool:
    result = session.execute(
        update(Publication)
        .where(
            Publication.id == publication_id,
            Publication.state == S.PUBLISHING,
            Publication.attempts == attempts,
        )
        .values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def _published(session: Session, pub_id: int, attempts: int, posted: Posted) -> bool:
    return _settle(
        session,
        pub_id,
        attempts,
        state=S.PUBLISHED,
        published_at=utcnow(),
        external_id=posted.external_id[:200],
        external_url=posted.external_url[:500],
        last_error="",
    )


def _retry(session: Session, pub_id: int, attempts: int, error: RetryLater) -> str:
    if attempts >= MAX_ATTEMPTS:
        _settle(
            session,
            pub_id,
            attempts,
            state=S.FAILED,
            last_error=f"Gave up after {attempts} attempts: {error}"[:500],
        )
        return "failed"
    delay = error.retry_after if error.retry_after is not None else backoff(attempts)
    _settle(
        session,
        pub_id,
        attempts,
        state=S.SCHEDULED,
        next_attempt_at=utcnow() + dt.timedelta(seconds=max(1.0, delay)),
        claimed_at=None,
        last_error=str(error)[:500],
    )
    return "retry"


def mark_needs_reconnect(session: Session, channel: Channel, reason: str) -> None:
    """The channel's credentials were refused: nothing more goes out on it until the partner
    reconnects, and the partner is told once per loss (the status change is conditional)."""
    changed = session.execute(
        update(Channel)
        .where(Channel.id == channel.id, Channel.status == ChannelStatus.CONNECTED)
        .values(status=ChannelStatus.NEEDS_RECONNECT, last_error=reason[:500], updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if getattr(changed, "rowcount", 0):
        stamp = utcnow().strftime("%Y%m%d%H%M%S%f")
        label = channel.name or channel.account
        session.add(
            Notification(
                partner_id=channel.partner_id,
                kind="channel",
                text=f"Reconnect your {channel.kind.value} channel {label}: posts wait till then."[
                    :500
                ],
                link="/channels",
                dedupe_key=f"channel:{channel.id}:reconnect:{stamp}"[:120],
            )
        )


@dataclass
class Attempt:
    """What one publish attempt came back with, to be recorded in its own transaction: the
    network call is never repeated when only the recording has to be (a locked SQLite)."""

    publication_id: int
    attempts: int
    channel_id: int | None
    outcome: Posted | PublishError | None  # None: the channel is gone
    secret: bytes | None = None  # tokens refreshed during the attempt
    token_expires_at: dt.datetime | None = None


def send(
    session: Session,
    config: PublishingConfig,
    publication_id: int,
    loaded: tuple[Publication, Channel | None] | None = None,
) -> Attempt | None:
    """Publish a publication whose attempt was started (``loaded``: as :func:`load` read it).
    Writes nothing: the caller hands the result to :func:`record`. None when the row is no
    longer this attempt's."""
    if loaded is None:
        loaded = load(session, [publication_id]).get(publication_id)
    if loaded is None:
        return None
    pub, channel = loaded
    if pub.state is not S.PUBLISHING:
        return None
    attempt = Attempt(pub.id, pub.attempts, channel.id if channel else None, None)
    if channel is None:
        return attempt
    before = channel.secret
    post = outgoing_post(session, pub, config)
    try:
        attempt.outcome = publisher_for(channel.kind, config).publish(channel, post)
    except SecretUnreadable as exc:
        attempt.outcome = NeedsReconnect(str(exc))
    except PublishError as exc:
        attempt.outcome = exc
    if channel.secret != before:
        attempt.secret, attempt.token_expires_at = channel.secret, channel.token_expires_at
    return attempt


def record(session: Session, attempt: Attempt) -> str:
    """Record an attempt's outcome (idempotent: every change is conditional). Returns
    "published", "retry", "failed", "unknown", "reconnect" or "gone"."""
    pub_id, attempts, outcome = attempt.publication_id, attempt.attempts, attempt.outcome
    if attempt.channel_id is None:
        _settle(session, pub_id, attempts, state=S.SKIPPED, last_error="The channel was removed.")
        return "failed"
    if isinstance(outcome, Posted) and attempt.secret is None and not outcome.bounced:
        # The common case needs nothing of the channel: the post is out, whatever became
        # of the channel meanwhile. (Bounces need it: they are marked for its partner.)
        return "published" if _published(session, pub_id, attempts, outcome) else "gone"
    channel = session.get(Channel, attempt.channel_id, populate_existing=True)
    if channel is not None and attempt.secret is not None:
        channel.secret, channel.token_expires_at = attempt.secret, attempt.token_expires_at
    if channel is None:
        if isinstance(outcome, Posted):
            return "published" if _published(session, pub_id, attempts, outcome) else "gone"
        _settle(session, pub_id, attempts, state=S.SKIPPED, last_error="The channel was removed.")
        return "failed"
    if isinstance(outcome, Posted):
        if outcome.bounced:
            # The refusals happened whatever the fence says: never mail those again.
            _record_bounces(session, channel.partner_id, outcome.bounced)
        return "published" if _published(session, pub_id, attempts, outcome) else "gone"
    if isinstance(outcome, RetryLater):
        return _retry(session, pub_id, attempts, outcome)
    if isinstance(outcome, NeedsReconnect):
        mark_needs_reconnect(session, channel, str(outcome))
        _settle(
            session,
            pub_id,
            attempts,
            state=S.SCHEDULED,
            claimed_at=None,
            last_error=f"Waiting for the channel to be reconnected: {outcome}"[:500],
        )
        return "reconnect"
    if isinstance(outcome, OutcomeUnknown):
        # Left "publishing": the reconciler asks the service once the attempt is stale.
        _settle(session, pub_id, attempts, last_error=f"Outcome unknown: {outcome}"[:500])
        return "unknown"
    _settle(session, pub_id, attempts, state=S.FAILED, last_error=str(outcome)[:500])
    return "failed"


def requeue_lost_claims(
    session: Session, now: dt.datetime | None = None, older_than: dt.timedelta = LOST_AFTER
) -> int:
    """Claims no task started within ``older_than`` (the dispatcher died between its commit
    and the enqueue, or the broker lost the message): scheduled again. The caller shortens
    ``older_than`` to the staleness window when the queue is empty (no message can be
    waiting), and keeps ``LOST_AFTER`` otherwise. Nothing was
    attempted, so there is nothing to reconcile; a late copy of the old message meets the
    ``attempts`` fence and only one delivery publishes."""
    now = now or utcnow()
    result = session.execute(
        update(Publication)
        .where(
            Publication.state == S.PUBLISHING,
            Publication.claimed_at.is_(None),
            Publication.next_attempt_at < now - older_than,
        )
        .values(state=S.SCHEDULED, next_attempt_at=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def stale_ids(
    session: Session,
    now: dt.datetime | None = None,
    limit: int = 200,
    stale_after: dt.timedelta = STALE_AFTER,
) -> list[int]:
    """Started attempts older than ``stale_after``: their worker died or their answer was lost."""
    cutoff = (now or utcnow()) - stale_after
    return list(
        session.scalars(
            select(Publication.id)
            .where(Publication.state == S.PUBLISHING, Publication.claimed_at < cutoff)
            .order_by(Publication.claimed_at)
            .limit(limit)
        )
    )


def reconcile(
    session: Session,
    config: PublishingConfig,
    publication_id: int,
    stale_after: dt.timedelta = STALE_AFTER,
) -> str:
    """Settle one stale ``publishing`` row: the service's own list says whether the lost
    attempt went out. Returns "published", "rescheduled", "failed", "later" or "gone"."""
    now = utcnow()
    pub = session.get(Publication, publication_id, populate_existing=True)
    if pub is None or pub.state is not S.PUBLISHING or pub.claimed_at is None:
        return "gone"
    if pub.claimed_at >= now - stale_after:
        return "gone"
    attempts = pub.attempts
    channel = (
        session.get(Channel, pub.channel_id, populate_existing=True) if pub.channel_id else None
    )
    if channel is None:
        _settle(session, pub.id, attempts, state=S.SKIPPED, last_error="The channel was removed.")
        return "failed"
    # Look back from before the claim: the service's clock and ours differ a little.
    since = min(pub.claimed_at, pub.due_at) - dt.timedelta(minutes=5)
    try:
        found = publisher_for(channel.kind, config).find_published(
            channel, outgoing_post(session, pub, config), since
        )
    except (RetryLater, OutcomeUnknown):
        # Ask again on the next run; pushing claimed_at keeps one run from hammering it.
        _settle(session, pub.id, attempts, claimed_at=now - stale_after / 2)
        return "later"
    except (NeedsReconnect, SecretUnreadable) as exc:
        mark_needs_reconnect(session, channel, str(exc))
        _settle(
            session,
            pub.id,
            attempts,
            state=S.SCHEDULED,
            claimed_at=None,
            last_error=f"Waiting for the channel to be reconnected: {exc}"[:500],
        )
        return "later"
    except PublishError as exc:
        _settle(session, pub.id, attempts, state=S.FAILED, last_error=str(exc)[:500])
        return "failed"
    if found is not None:
        _published(session, pub.id, attempts, found)
        return "published"
    if attempts >= MAX_ATTEMPTS:
        _settle(
            session,
            pub.id,
            attempts,
            state=S.FAILED,
            last_error=f"Gave up after {attempts} attempts with no answer."[:500],
        )
        return "failed"
    _settle(
        session,
        pub.id,
        attempts,
        state=S.SCHEDULED,
        claimed_at=None,
        next_attempt_at=None,
        last_error="The last attempt got no answer and the post is not on the service; retried.",
    )
    return "rescheduled"
