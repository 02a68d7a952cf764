"""Celery wired to the Flask config.

With REDIS_URL: a real broker, separate ``worker`` and ``beat`` processes (see Procfile).
Without: the same task code runs inside the web process, on a small thread pool, and a thread
plays beat. ``enqueue`` is the one door for both, and views call it only after their commit.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, cast

from celery import Celery, Task
from flask import Flask, current_app

log = logging.getLogger(__name__)

# Periodic jobs: name -> seconds between runs. beat reads it in production,
# the in-process thread otherwise.
SCHEDULE: dict[str, float] = {
    "cobrand.purge_dead_tokens": 6 * 3600.0,
    "cobrand.purge_view_events": 3600.0,
    # Due campaign posts: claimed in the database each minute (never long ETAs), see
    # prm_domain/publishing/dispatch.py.
    "cobrand.dispatch_publications": 60.0,
    "cobrand.mdf_daily": 6 * 3600.0,  # idempotent: lapses, expiry and reminders once each
    # Deal protection reminders (30/60/90 days in) and expiry: once a day is enough.
    "cobrand.deal_reminders": 24 * 3600.0,
    # Webhook events a change could not deliver at once are retried here.
    "cobrand.deliver_deal_webhooks": 300.0,
    # Offers lapse on the hour's scale (LEAD_ACCEPT_HOURS); five minutes late is on time.
    "cobrand.expire_lead_offers": 300.0,
    "cobrand.certification_reminders": 6 * 3600.0,
    # Tier evaluation of every partner (certifications expire, deals age out of the last 12
    # months, graces end): idempotent, so a restart's extra run changes nothing.
    "cobrand.evaluate_tiers": 24 * 3600.0,
}


def schedule(app: Flask) -> dict[str, float]:
    """SCHEDULE with the intervals the config's PERIODIC_JOBS sets; it names only known jobs."""
    overrides: dict[str, float] = app.config.get("PERIODIC_JOBS") or {}
    unknown = set(overrides) - set(SCHEDULE)
    if unknown:
        raise ValueError(f"PERIODIC_JOBS names no periodic job: {', '.join(sorted(unknown))}")
    return {**SCHEDULE, **overrides}


def init_app(app: Flask) -> Celery:
    class FlaskTask(Task):  # type: ignore[misc]
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.import_name, task_cls=FlaskTask)
    redis_url = app.config["REDIS_URL"]
    celery.conf.update(
        broker_url=redis_url or "memory://",
        result_backend=redis_url or None,
        task_ignore_result=True,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        # A task is acknowledged after it ran: a worker killed mid-task leaves it for another.
        # Tasks are idempotent, so running one twice is harmless.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=app.config.get("CELERY_QUEUE", "cobrand"),
        broker_connection_retry_on_startup=True,
        beat_schedule={
            name: {"task": name, "schedule": every} for name, every in schedule(app).items()
        },
        timezone="UTC",
    )
    celery.set_default()
    app.extensions["celery"] = celery
    app.extensions["cobrand.executor"] = None
    from app import tasks  # noqa: F401  (registers them; "import app.tasks" would rebind `app`)

    return celery


def _executor(app: Flask) -> ThreadPoolExecutor:
    if app.extensions["cobrand.executor"] is None:
        pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="cobrand-task")
        atexit.register(pool.shutdown, wait=False, cancel_futures=True)
        app.extensions["cobrand.executor"] = pool
    return cast(ThreadPoolExecutor, app.extensions["cobrand.executor"])  # extensions is untyped


def enqueue(task_name: str, *args: Any) -> Future[Any] | None:
    """Run a task: on the broker when there is one, else in this process.

    ``TASKS_INLINE`` runs it here and now (tests, CLI); otherwise a background thread does, so a
    request never waits for a long job. Returns the Future of an in-process run.
    """
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    celery: Celery = app.extensions["celery"]
    task = celery.tasks[task_name]
    if app.config["REDIS_URL"]:
        task.apply_async(args=args)
        return None
    if app.config.get("TASKS_INLINE"):
        result = task.apply(args=args, throw=True)
        done: Future[Any] = Future()
        done.set_result(result.get())
        return done
    future = _executor(app).submit(lambda: task.apply(args=args, throw=True).get())
    future.add_done_callback(_log_failure(task_name))
    return future


def _log_failure(task_name: str) -> Any:
    # Nobody waits on an in-process task's future: without this its error would vanish.
    def done(future: Future[Any]) -> None:
        exc = future.exception()
        if exc is not None:
            log.error("task %s failed", task_name, exc_info=exc)

    return done


def start_in_process_beat(app: Flask) -> threading.Thread:
    """Beat for the embedded default: run each periodic job at start, then on its interval."""

    every = schedule(app)

    def loop() -> None:
        due = dict.fromkeys(every, 0.0)
        while True:
            now = time.monotonic()
            for name, at in due.items():
                if now >= at:
                    due[name] = now + every[name]
                    with app.app_context():
                        try:
                            enqueue(name)
                        except Exception:
                            log.exception("periodic job %s failed", name)
            time.sleep(min(60.0, max(1.0, min(due.values()) - time.monotonic())))

    thread = threading.Thread(target=loop, name="cobrand-beat", daemon=True)
    thread.start()
    return thread


def celery_app() -> Celery:
    return current_app.extensions["celery"]
