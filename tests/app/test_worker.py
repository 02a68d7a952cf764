"""Tasks through a real broker to a real Celery worker process, and the in-process default."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from prm_domain.base import utcnow
from prm_domain.database import make_engine, make_sessionmaker, upgrade
from prm_domain.enums import Role
from prm_domain.models import ApiToken, User
from tests.requirements import need_env

ROOT = Path(__file__).resolve().parents[2]


def _add_tokens(url: str) -> None:
    """A vendor user with one long-dead token and one live one."""
    engine = make_engine(url)
    upgrade(engine)
    with make_sessionmaker(engine)() as s:
        user = User(
            email="w@example.com", password_hash="x", display_name="W", role=Role.VENDOR_ADMIN
        )
        s.add(user)
        s.flush()
        long_ago = utcnow() - dt.timedelta(days=90)
        s.add(
            ApiToken(token_hash="a" * 64, user_id=user.id, created_at=long_ago, expires_at=long_ago)
        )
        s.add(
            ApiToken(
                token_hash="b" * 64, user_id=user.id, expires_at=utcnow() + dt.timedelta(days=1)
            )
        )
        s.commit()
    engine.dispose()


def _token_count(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        count = conn.scalar(select(func.count()).select_from(ApiToken))
    engine.dispose()
    return int(count or 0)


def stop_process_group(proc: subprocess.Popen[Any]) -> None:
    """Stop a worker started in its own session: politely, then for good after 20 s."""
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[dict[str, Any]]:
    redis_url = need_env("TEST_REDIS_URL", "broker for a real worker")
    config = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'worker.db'}",
        "REDIS_URL": redis_url,
        "CELERY_QUEUE": f"test-{uuid.uuid4().hex[:10]}",  # never shared with another run
        "SECRET_KEY": "worker-test",
        "STORAGE_DIR": str(tmp_path / "storage"),
    }
    _add_tokens(config["DATABASE_URL"])
    env = {**os.environ, **config}
    log = (tmp_path / "worker.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "app.worker",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-Q",
            config["CELERY_QUEUE"],
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield config
    except BaseException:
        print((tmp_path / "worker.log").read_text())  # shown by pytest when the test fails
        raise
    finally:
        log.close()
        stop_process_group(proc)


@pytest.mark.redis
@pytest.mark.slow
def test_real_worker_runs_tasks_from_redis(worker: dict[str, Any]) -> None:
    from app import create_app
    from app.celery_app import enqueue

    app = create_app(worker)
    celery = app.extensions["celery"]
    # A round trip through broker and result backend proves a separate process ran it.
    result = celery.tasks["cobrand.ping"].apply_async(args=["hello"])
    assert result.get(timeout=60) == "pong:hello"

    assert _token_count(worker["DATABASE_URL"]) == 2
    with app.app_context():
        assert enqueue("cobrand.purge_dead_tokens") is None  # went to the broker
        enqueue("cobrand.purge_dead_tokens")  # a duplicate delivery changes nothing more
    deadline = time.monotonic() + 30
    while _token_count(worker["DATABASE_URL"]) != 1 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _token_count(worker["DATABASE_URL"]) == 1
    time.sleep(1.0)
    assert _token_count(worker["DATABASE_URL"]) == 1


def test_without_redis_tasks_run_in_process(tmp_path: Path) -> None:
    from app import create_app
    from app.celery_app import enqueue

    url = f"sqlite:///{tmp_path / 'inproc.db'}"
    _add_tokens(url)
    app = create_app(
        {
            "DATABASE_URL": url,
            "REDIS_URL": None,
            "SECRET_KEY": "x",
            "STORAGE_DIR": str(tmp_path / "s"),
        }
    )
    with app.app_context():
        future = enqueue("cobrand.purge_dead_tokens")
        assert future is not None
        assert future.result(timeout=30) == 1  # ran on a background thread, not in the caller
        assert enqueue("cobrand.purge_dead_tokens").result(timeout=30) == 0  # type: ignore[union-attr]
    assert _token_count(url) == 1
    app.extensions["cobrand.db"].engine.dispose()


def _library_world(url: str, storage_dir: str, names: Sequence[str] = ("Alpha", "Beta")) -> int:
    """Partners with logos and a published PDF asset; returns a started render job's id."""
    from prm_domain import assets, brandkits, jobs
    from prm_domain.models import Partner, Tier
    from prm_domain.storage import LocalStorage
    from tests.library_fixtures import brochure, png

    engine = make_engine(url)
    storage = LocalStorage(storage_dir)
    try:
        with make_sessionmaker(engine)() as s:
            admin = s.scalar(select(User).where(User.email == "w@example.com"))
            assert admin is not None
            tier = Tier(
                name="T", rank=1, mdf_share_percent=0, discount_percent=0, content_access=[]
            )
            s.add(tier)
            s.flush()
            for name in names:
                p = Partner(
                    name=name,
                    name_key=name.lower(),
                    type="reseller",
                    tier_id=tier.id,
                    country="DE",
                    region="EMEA",
                    status="active",  # only active partners get renders (docs/access.md)
                )
                s.add(p)
                s.flush()
                brandkits.set_logo(s, admin, storage, p.id, "light", png())
            asset = assets.create_asset(s, admin, "pdf", {"name": "Brochure"})
            version = assets.add_version(s, admin, storage, asset.id, "b.pdf", brochure(1))
            assets.set_zones(
                s, admin, asset.id, version.id, [{"kind": "logo", "box": [0.7, 0.02, 0.25, 0.1]}]
            )
            assets.publish(s, admin, asset.id)
            job_id = jobs.start_job(s, admin, asset.id, {}, "pdf").id
            s.commit()
    finally:
        # Even when a step fails: a connection left to the garbage collector warns in a later test.
        engine.dispose()
    return job_id


@pytest.mark.redis
@pytest.mark.slow
def test_real_worker_runs_a_render_job_once_even_when_sent_twice(worker: dict[str, Any]) -> None:
    import io
    import zipfile

    from app import create_app
    from app.celery_app import enqueue
    from prm_domain.models import RenderJob
    from prm_domain.storage import LocalStorage

    job_id = _library_world(worker["DATABASE_URL"], worker["STORAGE_DIR"])
    app = create_app(worker)
    with app.app_context():
        enqueue("cobrand.run_render_job", job_id, "http://cobrand.test")
        enqueue("cobrand.run_render_job", job_id, "http://cobrand.test")  # a duplicate delivery
    engine = make_engine(worker["DATABASE_URL"])
    deadline = time.monotonic() + 60
    job = None
    while time.monotonic() < deadline:
        with make_sessionmaker(engine)() as s:
            job = s.get(RenderJob, job_id)
            if job is not None and job.status.value == "done":
                break
        time.sleep(0.3)
    engine.dispose()
    assert job is not None and job.status.value == "done", job and job.status
    assert job.done == job.total == 2 and job.failures == []
    archive = zipfile.ZipFile(io.BytesIO(LocalStorage(worker["STORAGE_DIR"]).get(job.result_key)))
    assert sorted(archive.namelist()) == ["brochure-alpha.pdf", "brochure-beta.pdf"]


def test_rendering_tasks_have_time_limits() -> None:
    from app import create_app

    task = (
        create_app({"REDIS_URL": None, "SECRET_KEY": "x"})
        .extensions["celery"]
        .tasks["cobrand.run_render_job"]
    )
    assert task.soft_time_limit and task.time_limit and task.soft_time_limit < task.time_limit
