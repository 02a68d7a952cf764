"""The production shape of the task processes: a Celery worker at concurrency 2 (prefork, as the
Procfile starts it) and beat, on Postgres and Redis, in their own processes."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import os
import re
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import func, select, text

from prm_domain.database import make_engine, make_sessionmaker
from tests.app.test_worker import (
    _add_tokens,
    _library_world,
    _token_count,
    stop_process_group,
)
from tests.conftest import drop_postgres_schema, postgres_engine
from tests.requirements import need_env

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]
# A task's success line, with the pool process that ran it.
SUCCEEDED = re.compile(r"/(ForkPoolWorker-\d+)\] Task cobrand\.run_render_job\[[^\]]+\] succeeded")


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The config of a worker and beat on a fresh Postgres schema and a queue of their own."""
    base = need_env("TEST_DATABASE_URL", "Postgres for the worker")
    redis_url = need_env("TEST_REDIS_URL", "broker for a real worker")
    schema = f"w_{uuid.uuid4().hex[:12]}"
    postgres_engine(schema).dispose()
    sep = "&" if "?" in base else "?"
    config = {
        # The worker's own processes see only this schema, as the test's connections do.
        "DATABASE_URL": f"{base}{sep}options=-csearch_path%3D{schema}",
        "REDIS_URL": redis_url,
        "CELERY_QUEUE": f"test-{schema}",
        "SECRET_KEY": "worker-test",
        "STORAGE_DIR": str(tmp_path / "storage"),
        "SCHEMA": schema,
    }
    _add_tokens(config["DATABASE_URL"])  # migrates the schema, adds a dead and a live token
    try:
        yield config
    finally:
        drop_postgres_schema(schema)
        # A failed test may leave messages behind: drop the queue and kombu's bindings of it.
        conn = redis.Redis.from_url(redis_url)
        queue = config["CELERY_QUEUE"]
        conn.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
        conn.close()


@contextmanager
def celery(config: dict[str, str], log: Path, *args: str) -> Iterator[Callable[[], str]]:
    """``celery -A app.worker <args>`` in its own process group; yields a reader of its log.

    Stopped with SIGTERM (a warm shutdown, as a deploy does), then SIGKILL after 20 s."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "app.worker", *args],
            cwd=ROOT,
            env={**env, **config},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield log.read_text
        except BaseException:
            print(f"--- {log.name}\n{log.read_text()}")  # shown by pytest when the test fails
            raise
        finally:
            stop_process_group(proc)


def worker_args(config: dict[str, str], concurrency: int = 2) -> list[str]:
    return [
        "worker",
        "--pool=prefork",
        f"--concurrency={concurrency}",
        "--loglevel=INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-Q",
        config["CELERY_QUEUE"],
    ]


def wait_for(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def _inserted_rows(config: dict[str, str], table: str) -> int:
    """Rows ever inserted into ``table``, rolled-back ones included (Postgres statistics)."""
    engine = make_engine(os.environ["TEST_DATABASE_URL"])
    with engine.connect() as conn:
        count = conn.scalar(
            text(
                "SELECT n_tup_ins FROM pg_stat_user_tables WHERE schemaname = :s AND relname = :t"
            ),
            {"s": config["SCHEMA"], "t": table},
        )
    engine.dispose()
    return int(count or 0)


def test_a_render_job_delivered_twice_at_once_renders_once(
    stack: dict[str, str], tmp_path: Path
) -> None:
    from app import create_app
    from app.celery_app import enqueue
    from prm_domain.models import RenderedFile, RenderJob
    from prm_domain.storage import LocalStorage

    # Enough partners that two deliveries running side by side would meet on one, if the job's
    # row lock did not keep them apart.
    names = ["Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta"]
    job_id = _library_world(stack["DATABASE_URL"], stack["STORAGE_DIR"], names)
    app = create_app(stack)
    with app.app_context():
        # Both messages wait in the queue before the worker starts, so its two pool processes
        # take one each and run them at the same time.
        enqueue("cobrand.run_render_job", job_id, "http://cobrand.test")
        enqueue("cobrand.run_render_job", job_id, "http://cobrand.test")
    engine = make_engine(stack["DATABASE_URL"])

    def finished() -> RenderJob | None:
        with make_sessionmaker(engine)() as s:
            job = s.get(RenderJob, job_id)
            return job if job is not None and job.status.value in ("done", "failed") else None

    with celery(stack, tmp_path / "worker.log", *worker_args(stack)) as log:
        job = wait_for(finished, 60, "the render job to finish")
        runs = wait_for(lambda: len(SUCCEEDED.findall(log())) >= 2, 30, "both deliveries")
        runs = SUCCEEDED.findall(log())
    with make_sessionmaker(engine)() as s:
        cached = s.scalar(select(func.count()).select_from(RenderedFile))
    engine.dispose()

    assert len(runs) == 2 and len(set(runs)) == 2, runs  # two processes, one delivery each
    assert job.status.value == "done", (job.status, job.failures)
    assert job.done == job.total == len(names) and job.failures == []
    partner_ids = [r[0] for r in job.results]
    assert sorted(partner_ids) == sorted(set(partner_ids)) == sorted(job.partner_ids)
    archive = zipfile.ZipFile(io.BytesIO(LocalStorage(stack["STORAGE_DIR"]).get(job.result_key)))
    assert sorted(archive.namelist()) == sorted(f"brochure-{n.lower()}.pdf" for n in names)
    # Each partner was rendered once: one render-cache row each, and no second render that
    # lost the race to insert it (those count in the table's statistics, though rolled back).
    assert cached == len(names)

    # Statistics arrive when the worker's connections close (it has stopped by now).
    def inserted() -> int:
        n = _inserted_rows(stack, "rendered_file")
        return n if n >= len(names) else 0

    assert wait_for(inserted, 15, "the table statistics") == len(names)


def test_beat_sends_a_periodic_job_once_per_interval(stack: dict[str, str], tmp_path: Path) -> None:
    every = 2.0
    config = {**stack, "PERIODIC_JOBS": f"cobrand.purge_dead_tokens={every}"}
    received = re.compile(r"Task cobrand\.purge_dead_tokens\[([^\]]+)\] succeeded")
    sent = re.compile(
        r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}): INFO/MainProcess\] "
        r"Scheduler: Sending due task .*\bcobrand\.purge_dead_tokens\b",
        re.M,
    )
    beat_args = ["beat", "--loglevel=INFO", f"--schedule={tmp_path / 'beat-schedule'}"]
    assert _token_count(stack["DATABASE_URL"]) == 2
    with (
        celery(config, tmp_path / "worker.log", *worker_args(config)) as worker_log,
        celery(config, tmp_path / "beat.log", *beat_args) as beat_log,
    ):
        wait_for(lambda: received.search(worker_log()), 30, "the first periodic run")
        assert _token_count(stack["DATABASE_URL"]) == 1  # the dead token went, the live one stays
        wait_for(lambda: len(received.findall(worker_log())) >= 3, every * 10, "two more runs")
        runs = received.findall(worker_log())
        sends = sent.findall(beat_log())
    # Judged by beat's own clock, not by when this test happened to look (a loaded machine
    # delays the looking): each tick sends once, a tick apart, and each send runs once.
    assert len(runs) == len(set(runs)), runs
    assert len(runs) <= len(sends), (runs, sends)
    times = [dt.datetime.strptime(t, "%Y-%m-%d %H:%M:%S,%f") for t in sends]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    assert gaps and all(gap > every * 0.6 for gap in gaps), gaps
    assert _token_count(stack["DATABASE_URL"]) == 1
