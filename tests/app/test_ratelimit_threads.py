"""The in-memory rate-limit store under threads: the embedded default serves requests on a
thread pool, and every request of a burst must get its answer (never a 500 from the limiter)."""

from __future__ import annotations

import time

from flask import Flask

from app.ratelimit import Limiter
from prm_domain import RateLimited
from tests.concurrency import in_parallel, racy_threads


def test_a_burst_of_threads_on_the_memory_store_gets_answers_not_errors() -> None:
    app = Flask(__name__)
    app.config.update(REDIS_URL=None)
    limiter = Limiter(app)

    def attempt(i: int) -> str:
        try:
            limiter.consume("5 per minute", "burst", str(i % 3))
            return "ok"
        except RateLimited:
            return "limited"

    outcomes: list[object] = []
    with racy_threads():
        for _ in range(80):
            # The store's expiry timer has run out between bursts, and every thread of the next
            # burst wants to start a new one: the race that answered 500 (limits 5.8).
            time.sleep(0.02)
            outcomes += in_parallel(30, attempt)
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    assert errors == []
