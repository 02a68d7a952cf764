"""Rate limits on sign-in (and later on public endpoints), in Redis when configured.

Without REDIS_URL the counters live in process memory: right for the single-process embedded
default, and the reason production sets REDIS_URL (every web process then shares one count).
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any, cast

from flask import Flask, current_app
from limits import RateLimitItem, parse, storage
from limits.strategies import MovingWindowRateLimiter

from prm_domain import RateLimited


class _OneAtATime:
    """A rate limiter whose calls run one at a time in this process.

    limits' MemoryStorage is not safe under threads: two requests restarting its expiry timer at
    once make one of them raise (RuntimeError, a 500; limits 5.8). The embedded default serves
    requests on threads, and each call is microseconds, so one lock costs nothing. (Redis does
    its own atomic steps and needs none.)
    """

    def __init__(self, strategy: MovingWindowRateLimiter) -> None:
        self._strategy = strategy
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._strategy, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return attr(*args, **kwargs)

        return call


class Limiter:
    def __init__(self, app: Flask) -> None:
        url = app.config["REDIS_URL"]
        prefix = app.config.get("RATE_LIMIT_PREFIX", "cobrand")
        if url:
            self.strategy = MovingWindowRateLimiter(storage.RedisStorage(url, key_prefix=prefix))
        else:
            serial = _OneAtATime(MovingWindowRateLimiter(storage.MemoryStorage()))
            self.strategy = cast(MovingWindowRateLimiter, serial)
        app.extensions["cobrand.limiter"] = self

    def check(self, limit: str | RateLimitItem, *identifiers: str) -> None:
        """Raise RateLimited if the limit is used up, without counting this call.

        A peek only: never follow it with a separate count (parallel requests would all pass
        the peek before any is counted). To limit, ``consume``.
        """
        item = parse(limit) if isinstance(limit, str) else limit
        if not self.strategy.test(item, *identifiers):
            stats = self.strategy.get_window_stats(item, *identifiers)
            raise RateLimited(
                "Too many attempts. Try again later.",
                max(1, math.ceil(stats.reset_time - time.time())),
            )

    def consume(self, limit: str | RateLimitItem, *identifiers: str) -> None:
        """Count this attempt, or raise RateLimited when the limit is used up.

        One atomic step: parallel requests cannot all pass a check before any is counted.
        """
        item = parse(limit) if isinstance(limit, str) else limit
        if not self.strategy.hit(item, *identifiers):
            stats = self.strategy.get_window_stats(item, *identifiers)
            raise RateLimited(
                "Too many attempts. Try again later.",
                max(1, math.ceil(stats.reset_time - time.time())),
            )

    def first(self, window: str, *identifiers: str) -> bool:
        """True for the first call with these identifiers within ``window`` ("10 minutes"),
        False for the others until it has passed: one atomic step, like ``consume``."""
        return bool(self.strategy.hit(parse(f"1 per {window}"), "first", *identifiers))

    def clear(self, limit: str | RateLimitItem, *identifiers: str) -> None:
        self.strategy.clear(parse(limit) if isinstance(limit, str) else limit, *identifiers)


def init_app(app: Flask) -> Limiter:
    return Limiter(app)


def limiter() -> Limiter:
    return cast(Limiter, current_app.extensions["cobrand.limiter"])  # extensions is untyped
