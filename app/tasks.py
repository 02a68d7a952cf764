"""Celery tasks: ids and JSON in, their own session, one call into the domain, commit."""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from celery import shared_task
from flask import current_app
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app import db
from prm_domain import auth
from prm_domain.database import is_locked
from prm_domain.leads import lifecycle
from prm_domain.mdf import reminders
from prm_domain.syndication import events

if TYPE_CHECKING:
    from prm_domain.publishing.dispatch import Claimed

T = TypeVar("T")
LOCKED_ATTEMPTS = 6


def _committed(session: Session, work: Callable[[], T]) -> T:
    """``work()`` then commit; run again if SQLite stayed locked past its busy_timeout (the
    embedded default under a burst of writes). Tasks are idempotent, so a second run is safe,
    and a busy moment must not fail a job."""
    for attempt in range(1, LOCKED_ATTEMPTS + 1):
        try:
            result = work()
            session.commit()
            return result
        except OperationalError as exc:
            session.rollback()
            if not is_locked(exc) or attempt == LOCKED_ATTEMPTS:
                raise
        # Backing off, jittered so that retries do not march in step: with busy_timeout's own
        # waits, a task outlasts a lock held for half a minute.
        time.sleep(min(2.0, 0.25 * 2**attempt) * random.uniform(0.75, 1.25))  # noqa: S311
    raise AssertionError("unreachable")


@shared_task(name="cobrand.purge_dead_tokens", ignore_result=False)
def purge_dead_tokens() -> int:
    with db.get_db().sessionmaker() as session:
        return _committed(session, lambda: auth.purge_dead_tokens(session))


@shared_task(name="cobrand.purge_view_events", ignore_result=False)
def purge_view_events() -> int:
    with db.get_db().sessionmaker() as session:
        return _committed(session, lambda: events.purge_view_events(session))


@shared_task(name="cobrand.mdf_daily", ignore_result=False)
def mdf_daily() -> list[int]:
    """Lapse overdue MDF requests, expire unspent funds, send deadline reminders."""
    with db.get_db().sessionmaker() as session:
        done = _committed(session, lambda: reminders.run_daily(session, dt.date.today()))
        return [done.lapsed, done.expired, done.reminded]


@shared_task(name="cobrand.expire_lead_offers", ignore_result=False)
def expire_lead_offers() -> int:
    """Leads not accepted in time move on to the next eligible partner (idempotent)."""
    within = dt.timedelta(hours=current_app.config["LEAD_ACCEPT_HOURS"])
    with db.get_db().sessionmaker() as session:
        return _committed(session, lambda: lifecycle.expire_offers(session, accept_within=within))


@shared_task(name="cobrand.certification_reminders", ignore_result=False)
def certification_reminders() -> int:
    """Remind holders of certifications that expire soon (idempotent: once per term)."""
    from prm_domain import training

    with db.get_db().sessionmaker() as session:
        return _committed(session, lambda: training.send_expiry_reminders(session))


@shared_task(name="cobrand.evaluate_tiers", ignore_result=False)
def evaluate_tiers() -> list[int]:
    """Every partner on the tier it has earned; graces start, end or are cancelled. Idempotent."""
    from prm_domain import tier_rules

    with db.get_db().sessionmaker() as session:
        run = _committed(session, lambda: tier_rules.evaluate_all(session, reason="nightly"))
        return [run.evaluated, run.promoted, run.demoted, run.grace_started, run.grace_cancelled]


@shared_task(name="cobrand.ping", ignore_result=False)
def ping(value: str) -> str:
    """Round-trips the broker and result backend; used by health checks and tests."""
    return f"pong:{value}"


# Rendering runs under time limits, so a hostile file cannot hold a worker forever; a job
# renders a slice of its partners per task and re-enqueues itself for the rest.
@shared_task(name="cobrand.run_render_job", soft_time_limit=120, time_limit=150)
def run_render_job(job_id: int, base_url: str, shard: int = 0, shards: int = 1) -> None:
    from app.celery_app import enqueue
    from app.storage import storage
    from prm_domain import jobs

    deadline = time.monotonic() + 60
    more = True
    try:
        with db.get_db().sessionmaker() as session:
            while more and time.monotonic() < deadline:
                more = _committed(
                    session,
                    lambda: jobs.step(session, storage(), job_id, base_url, shard, shards),
                )
    except Exception:
        # Whatever escaped the per-partner handling (the database went away, say): the job
        # must not sit "running" forever. Record it, then let Celery log the error.
        with db.get_db().sessionmaker() as session:
            message = "The job stopped on an unexpected error; start it again."
            _committed(session, lambda: jobs.fail(session, job_id, message))
        raise
    if more:
        enqueue("cobrand.run_render_job", job_id, base_url, shard, shards)


def enqueue_render_job(job_id: int, base_url: str) -> None:
    """Start a committed render job: RENDER_JOB_SHARDS tasks on the workers, each rendering
    every n-th partner, so that all workers share a large job. In-process (no Redis) one task
    does it all: SQLite takes one writer at a time anyway."""
    from app.celery_app import enqueue
    from prm_domain import jobs

    shards = min(jobs.MAX_SHARDS, max(1, int(current_app.config["RENDER_JOB_SHARDS"])))
    shards = shards if _on_broker() else 1
    for shard in range(shards):
        enqueue("cobrand.run_render_job", job_id, base_url, shard, shards)


def _on_broker() -> bool:
    return bool(current_app.config["REDIS_URL"])


# -- Publishing (issue 9): beat runs the dispatcher every minute; each due publication is
# claimed in the database and published by a task of its own, with its idempotency key.

# Below dispatch.STALE_AFTER (60 s): a live attempt is never taken for a dead one.
PUBLISH_SOFT_LIMIT, PUBLISH_HARD_LIMIT = 40, 50
_local_dispatch = threading.Lock()


@contextmanager
def _dispatch_lock() -> Iterator[bool]:
    """One dispatcher at a time: a Redis lock across processes (two beats, or a beat tick that
    overlaps the last), a process lock in the embedded default. The conditional claims already
    make a second dispatcher harmless; the lock makes it idle."""
    from flask import current_app

    url = current_app.config["REDIS_URL"]
    if not url:
        got = _local_dispatch.acquire(blocking=False)
        try:
            yield got
        finally:
            if got:
                _local_dispatch.release()
        return
    import redis

    from app.celery_app import schedule

    # Held at most a little less than the interval: a dispatcher killed while holding it
    # delays the next run by one tick, not more.
    ttl = max(5.0, schedule(current_app)["cobrand.dispatch_publications"] - 5.0)
    client = redis.Redis.from_url(url)
    lock = client.lock(
        f"{current_app.config['CELERY_QUEUE']}:dispatch-lock", timeout=ttl, blocking=False
    )
    got = bool(lock.acquire())
    try:
        yield got
    finally:
        if got:
            # Expired meanwhile: nothing of ours to release.
            with suppress(redis.exceptions.LockError):
                lock.release()
        client.close()


def _queue_is_empty() -> bool:
    from flask import current_app

    url = current_app.config["REDIS_URL"]
    if not url:
        return False  # the in-process pool keeps no countable queue: wait LOST_AFTER
    import redis

    client = redis.Redis.from_url(url)
    try:
        return int(client.llen(current_app.config["CELERY_QUEUE"])) == 0
    finally:
        client.close()


@shared_task(name="cobrand.dispatch_publications", ignore_result=False, time_limit=58)
def dispatch_publications() -> int:
    """Reconcile stale attempts, then claim due publications and enqueue one task for each
    (after the claim's commit). Returns how many were enqueued; -1 when another dispatcher
    held the lock."""
    from flask import current_app

    from app.celery_app import enqueue
    from app.publishing import publishing_config
    from prm_domain.publishing import dispatch

    config = publishing_config()
    stale = dt.timedelta(seconds=float(current_app.config["PUBLISH_STALE_SECONDS"]))
    with _dispatch_lock() as mine:
        if not mine:
            return -1
        enqueued = 0
        with db.get_db().sessionmaker() as session:
            for pub_id in dispatch.stale_ids(session, stale_after=stale):
                session.rollback()
                _committed(session, partial(dispatch.reconcile, session, config, pub_id, stale))
            _committed(session, lambda: dispatch.skip_orphans(session))
            # With the queue empty no publish message can be waiting: an unstarted claim is
            # lost at once (a dispatcher killed before its enqueue). With a backlog, waiting
            # is normal, and only LOST_AFTER marks a claim lost.
            lost_after = stale if _queue_is_empty() else dispatch.LOST_AFTER
            _committed(session, partial(dispatch.requeue_lost_claims, session, None, lost_after))
            # Stops claiming well inside the time limit: a batch claimed but never enqueued
            # would wait for the reconciler; the rest is the next tick's.
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                claimed = _committed(session, lambda: dispatch.claim_due(session))
                for at in range(0, len(claimed), dispatch.TASK_CHUNK):
                    chunk = claimed[at : at + dispatch.TASK_CHUNK]
                    enqueue(
                        "cobrand.publish_publications", [[c.id, c.key, c.attempt] for c in chunk]
                    )
                enqueued += len(claimed)
                if len(claimed) < dispatch.BATCH:
                    break
        return enqueued


@shared_task(
    name="cobrand.publish_publication",
    ignore_result=False,
    soft_time_limit=PUBLISH_SOFT_LIMIT,
    time_limit=PUBLISH_HARD_LIMIT,
)
def publish_publication(publication_id: int, key: str, attempt: int) -> str:
    """One publish. Idempotent: only the delivery that starts the claimed attempt publishes;
    a duplicate (or a late one) returns "duplicate" and does nothing."""
    from prm_domain.publishing.dispatch import Claimed

    claim = Claimed(id=publication_id, key=key, attempt=attempt)
    return _publish_claims([claim]).get(publication_id, "gone")


@shared_task(
    name="cobrand.publish_publications",
    ignore_result=False,
    soft_time_limit=PUBLISH_SOFT_LIMIT,
    time_limit=PUBLISH_HARD_LIMIT,
)
def publish_publications(claims: list[list[int | str]]) -> dict[str, int]:
    """A chunk of the dispatcher's claims, ``[[id, key, attempt], ...]``, published one after
    the other, each exactly as ``publish_publication`` would. Returns a count per outcome."""
    from prm_domain.publishing.dispatch import Claimed

    chunk = [Claimed(id=int(i), key=str(k), attempt=int(a)) for i, k, a in claims]
    outcomes = _publish_claims(chunk)
    counts: dict[str, int] = {}
    for c in chunk:
        name = outcomes.get(c.id, "gone")
        counts[name] = counts.get(name, 0) + 1
    return counts


def _publish_claims(claims: list[Claimed]) -> dict[int, str]:
    """Start every claim's attempt in one commit (before any network call: from there a dead
    worker leaves stale "publishing" rows for the reconciler), then send each once and
    record its outcome at once, in a commit of its own. A task that runs long gives back
    what it has not sent, so that no live attempt ever looks stale."""
    from flask import current_app

    from app.publishing import publishing_config
    from prm_domain.publishing import dispatch

    config = publishing_config()
    stale = float(current_app.config["PUBLISH_STALE_SECONDS"])
    outcomes: dict[int, str] = {}
    # One connection for the whole chunk (a commit per post).
    with db.get_db().held_session() as session:
        started = set(_committed(session, lambda: dispatch.start_attempts(session, claims)))
        since = time.monotonic()
        loaded = dispatch.load(session, [c.id for c in claims if c.id in started], detach=True)
        session.rollback()
        order = [loaded[c.id] for c in claims if c.id in loaded]
        outcomes.update({c.id: "duplicate" for c in claims if c.id not in started})
        outcomes.update({c.id: "gone" for c in claims if c.id in started and c.id not in loaded})
        for n, (pub, channel) in enumerate(order):
            if time.monotonic() - since > stale / 2:
                rest = [p for p, _ in order[n:]]
                _committed(session, partial(dispatch.give_back, session, rest))
                outcomes.update({p.id: "given back" for p in rest})
                break
            # The network call runs once; only the recording is retried (_committed).
            sent = dispatch.send(session, config, pub.id, (pub, channel))
            if sent is None:
                session.rollback()
                outcomes[pub.id] = "gone"
                continue
            outcomes[pub.id] = _committed(session, partial(dispatch.record, session, sent))
    return outcomes


@shared_task(name="cobrand.deliver_deal_webhooks", ignore_result=False)
def deliver_deal_webhooks() -> int:
    """Send the deal events not yet delivered; failed ones stay for the next run (periodic)."""
    from prm_domain.deals import webhooks

    with db.get_db().sessionmaker() as session:
        allow = bool(current_app.config["PUBLISH_ALLOW_PRIVATE_HOSTS"])
        return _committed(
            session, lambda: webhooks.deliver_pending(session, allow_private_hosts=allow)
        )


@shared_task(name="cobrand.deal_reminders", ignore_result=False)
def deal_reminders() -> int:
    from prm_domain.deals import registrations

    with db.get_db().sessionmaker() as session:
        return _committed(session, lambda: registrations.send_reminders(session))
