"""Exactly one dispatcher at a time: a second one (another beat's tick) finds the Redis lock
held and does nothing; without Redis, a process lock does the same."""

from __future__ import annotations

import uuid

import pytest
from flask import Flask

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
