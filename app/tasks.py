"""Celery tasks: ids and JSON in, their own session, one call into the domain, commit."""

from __future__ import annotations

import time

from celery import shared_task

from app import db
from prm_domain import auth
from prm_domain.syndication import events


@shared_task(name="cobrand.purge_dead_tokens", ignore_result=False)
def purge_dead_tokens() -> int:
    with db.get_db().sessionmaker() as session:
        removed = auth.purge_dead_tokens(session)
        session.commit()
    return removed


@shared_task(name="cobrand.purge_view_events", ignore_result=False)
def purge_view_events() -> int:
    with db.get_db().sessionmaker() as session:
        removed = events.purge_view_events(session)
        session.commit()
    return removed


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
                more = jobs.step(session, storage(), job_id, base_url)
                session.commit()
    except Exception:
        # Whatever escaped the per-partner handling (the database went away, say): the job
        # must not sit "running" forever. Record it, then let Celery log the error.
        with db.get_db().sessionmaker() as session:
            jobs.fail(session, job_id, "The job stopped on an unexpected error; start it again.")
            session.commit()
        raise
    if more:
        enqueue("cobrand.run_render_job", job_id, base_url)
