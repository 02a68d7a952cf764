"""Celery tasks: ids and JSON in, their own session, one call into the domain, commit."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from celery import shared_task
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app import db
from prm_domain import auth
from prm_domain.database import is_locked
from prm_domain.syndication import events

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


@shared_task(name="cobrand.certification_reminders", ignore_result=False)
def certification_reminders() -> int:
    """Remind holders of certifications that expire soon (idempotent: once per term)."""
    from prm_domain import training

    with db.get_db().sessionmaker() as session:
        return _committed(session, lambda: training.send_expiry_reminders(session))


@shared_task(name="cobrand.ping", ignore_result=False)
def ping(value: str) -> str:
    """Round-trips the broker and result backend; used by health checks and tests."""
    return f"pong:{value}"


# Rendering runs under time limits, so a hostile file cannot hold a worker forever; a job
# renders a slice of its partners per task and re-enqueues itself for the rest.
@shared_task(name="cobrand.run_render_job", soft_time_limit=120, time_limit=150)
def run_render_job(job_id: int, base_url: str) -> None:
    from app.celery_app import enqueue
    from app.storage import storage
    from prm_domain import jobs

    deadline = time.monotonic() + 60
    more = True
    try:
        with db.get_db().sessionmaker() as session:
            while more and time.monotonic() < deadline:
                more = _committed(session, lambda: jobs.step(session, storage(), job_id, base_url))
    except Exception:
        # Whatever escaped the per-partner handling (the database went away, say): the job
        # must not sit "running" forever. Record it, then let Celery log the error.
        with db.get_db().sessionmaker() as session:
            message = "The job stopped on an unexpected error; start it again."
            _committed(session, lambda: jobs.fail(session, job_id, message))
        raise
    if more:
        enqueue("cobrand.run_render_job", job_id, base_url)
