"""Exactly one dispatcher at a time: a second one (another beat's tick) finds the Redis lock
held and does nothing; without Redis, a process lock does the same."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from prm_domain.base import utcnow
from prm_domain.enums import PublicationState
from prm_domain.models import Partner, Publication
from tests.requirements import need_env


@pytest.mark.redis
def test_a_second_dispatcher_idles_while_the_first_holds_the_lock(app: Flask) -> None:
    from app.tasks import _dispatch_lock, dispatch_publications

    app.config.update(
        REDIS_URL=need_env("TEST_REDIS_URL", "the dispatcher's lock"),
        CELERY_QUEUE=f"lock-{uuid.uuid4().hex[:8]}",
    )
    with app.app_context():
        with _dispatch_lock() as first:
            assert first
            with _dispatch_lock() as second:
                assert not second
            assert dispatch_publications.apply().get() == -1
        # Released: the next tick dispatches (nothing is due, nothing enqueued).
        assert dispatch_publications.apply().get() == 0


def test_without_redis_a_process_lock_keeps_one_dispatcher(app: Flask) -> None:
    from app.tasks import _dispatch_lock

    with app.app_context():
        with _dispatch_lock() as first, _dispatch_lock() as second:
            assert first and not second
        with _dispatch_lock() as again:
            assert again


def test_the_embedded_default_publishes_due_posts_in_chunks_once(
    app: Flask, session: Session, make_partner: Callable[..., Partner]
) -> None:
    """Without Redis the dispatcher runs the publish tasks in the process: due posts on the
    built-in outbox go out in chunks, each once, and a chunk delivered again does nothing."""
    from app.tasks import dispatch_publications, publish_publications
    from prm_domain.campaigns.enrolments import outbox_channel
    from prm_domain.publishing import dispatch

    partner = make_partner()
    channel = outbox_channel(session, partner.id)
    due = utcnow() - dt.timedelta(seconds=5)
    count = dispatch.TASK_CHUNK + 5  # two chunks
    pubs = [
        Publication(
            partner_id=partner.id,
            channel_id=channel.id,
            kind="social",
            key=uuid.uuid4().hex,
            due_at=due,
            content={"text": f"Post {n}"},
        )
        for n in range(count)
    ]
    session.add_all(pubs)
    session.commit()
    with app.app_context():
        assert dispatch_publications.apply().get() == count
        assert dispatch_publications.apply().get() == 0  # nothing left to claim
        first = pubs[0]
        again = publish_publications.apply(args=[[[first.id, first.key, 0]]]).get()
    assert again == {"duplicate": 1}
    session.expire_all()
    done = session.scalars(select(Publication).where(Publication.partner_id == partner.id)).all()
    assert len(done) == count
    assert {p.state for p in done} == {PublicationState.PUBLISHED}
    assert {p.attempts for p in done} == {1}
    assert all(p.external_id == f"outbox:{p.key}" for p in done)
