"""A batch render of one PDF for 1,000 partners on two real Celery workers (issue 12).

Loads the demo plus 1,000 size-up partners (all active, each with a logo) into a fresh Postgres
schema, starts two workers as the Procfile does (``celery -A app.worker worker``, concurrency 1
each, so two rendering processes on two cores), starts the job the way the API does
(``jobs.start_job`` then ``enqueue_render_job``: RENDER_JOB_SHARDS tasks), follows its progress,
and reports the total time, the renders per second, the zip's size, how the tasks split between
the workers, and each worker process's peak resident memory (VmHWM, read before it stops). The
zip is written through a spooled file and stored as a stream, so the peak must not grow with the
zip.

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \\
    BENCH_REDIS_URL=redis://127.0.0.1:6379/12 .venv/bin/python bench/bench_batch.py

Files go to a temporary STORAGE_DIR, or to STORAGE_URL (s3://...) when it is set. Not a timed
test: CI does not run it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _group_pids(pgid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                # Fields after the command name (which may hold spaces): state ppid pgrp ...
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid:
                pids.append(int(entry.name))
    return pids


def _status(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--partners", type=int, default=1_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--shards", type=int, default=4)
    args = parser.parse_args()
    base = os.environ.get("BENCH_DATABASE_URL") or os.environ["TEST_DATABASE_URL"]
    redis_url = os.environ.get("BENCH_REDIS_URL") or os.environ["TEST_REDIS_URL"]
    tmp = Path(tempfile.mkdtemp(prefix="cobrand-batch-"))
    schema = f"bench_batch_{uuid.uuid4().hex[:8]}"

    from sqlalchemy import select, text, update

    from prm_domain.database import make_engine

    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    env = {
        "DATABASE_URL": f"{base}{sep}options=-csearch_path%3D{schema}",
        "REDIS_URL": redis_url,
        "CELERY_QUEUE": f"bench-{schema}",
        "SECRET_KEY": "bench-batch",
        "STORAGE_DIR": str(tmp / "storage"),
        "RENDER_JOB_SHARDS": str(args.shards),
        "WORKER_CONCURRENCY": "1",
    }
    os.environ.update(env)
    workers: list[subprocess.Popen[bytes]] = []
    try:
        from app import create_app
        from app.cli import _migrate
        from app.db import get_db
        from app.storage import storage
        from app.tasks import enqueue_render_job
        from prm_domain import demo_scale, jobs
        from prm_domain.enums import PartnerStatus
        from prm_domain.models import Asset, BrandKit, Partner, RenderJob, User

        app = create_app()
        t0 = time.perf_counter()
        with app.app_context():
            _migrate()
            size = demo_scale.ScaleSize(
                partners=args.partners, assets=10, items=10, embeds=10, leads=10, days=1,
                downloads=10,
            )  # fmt: skip
            with get_db().sessionmaker() as session:
                demo_scale.load(session, storage(), size)
                # Every size-up partner active and with a logo (the demo partners' one), so
                # each of them gets a full co-branded render.
                logo = session.scalar(
                    select(BrandKit.logo_key).where(BrandKit.logo_key.is_not(None))
                )
                session.execute(
                    update(BrandKit).where(BrandKit.logo_key.is_(None)).values(logo_key=logo)
                )
                session.execute(update(Partner).values(status=PartnerStatus.ACTIVE))
                session.commit()
        print(f"loaded the demo and {args.partners:,} partners in {time.perf_counter() - t0:.0f} s")

        procfile = dict(
            line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line
        )
        logs = []
        for n in range(1, args.workers + 1):
            log = tmp / f"worker-{n}.log"
            logs.append(log)
            command = f"{procfile['worker']} -n bench{n}@%h --without-gossip --without-mingle"
            with log.open("w") as out:
                workers.append(
                    subprocess.Popen(
                        command,
                        shell=True,
                        cwd=ROOT,
                        env={
                            **os.environ,
                            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
                        },
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
        deadline = time.monotonic() + 120
        while not all("ready." in log.read_text() for log in logs):
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.5)

        with app.app_context(), get_db().sessionmaker() as session:
            vendor = session.scalar(select(User).where(User.email == "admin@nimbus.example"))
            brochure = session.scalar(
                select(Asset).where(Asset.name == "Nimbus Cloud Platform brochure")
            )
            assert vendor is not None and brochure is not None
            job = jobs.start_job(session, vendor, brochure.id, {}, "pdf")
            session.commit()
            job_id, total = job.id, job.total
            started = time.perf_counter()
            enqueue_render_job(job_id, "https://cobrand.example")
            print(f"job {job_id}: {total:,} partners, {args.shards} shards, {args.workers} workers")
            last = -1
            while True:
                session.expire_all()
                job = session.get(RenderJob, job_id)
                assert job is not None
                if job.done != last and (
                    job.done - last >= total // 10 or job.status.value != "running"
                ):
                    print(f"  {time.perf_counter() - started:6.1f} s  {job.done:5,} / {total:,}")
                    last = job.done
                if job.status.value in ("done", "failed"):
                    break
                time.sleep(0.5)
            elapsed = time.perf_counter() - started
            failures = len(job.failures)
            zip_size = 0
            if job.result_key:
                with storage().open(job.result_key) as f:
                    while chunk := f.read(1 << 20):
                        zip_size += len(chunk)
        peaks = []
        for proc in workers:
            for pid in _group_pids(proc.pid):
                with contextlib.suppress(OSError):  # a process that ended meanwhile
                    peaks.append((proc.pid, pid, _status(pid, "VmHWM")))
        print(f"status {job.status.value}: {total - failures:,} rendered, {failures} failed")
        print(
            f"total {elapsed:.1f} s, {total / elapsed:.1f} renders/s, zip {zip_size / 1e6:.1f} MB"
        )
        tasks = [
            len(re.findall(r"run_render_job\[[^\]]+\] succeeded", log.read_text())) for log in logs
        ]
        print(f"tasks run per worker: {tasks}")
        for n, proc in enumerate(workers, start=1):
            mine = sorted((hwm for root, _, hwm in peaks if root == proc.pid), reverse=True)
            print(
                f"worker {n}: peak RSS per process (MB): "
                + ", ".join(f"{m / 1e6:.0f}" for m in mine)
            )
        load = os.getloadavg()
        print(f"load average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    finally:
        for proc in workers:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in workers:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
        import redis

        client = redis.Redis.from_url(redis_url)
        queue = env["CELERY_QUEUE"]
        client.delete(queue, f"_kombu.binding.{queue}")
        client.close()


if __name__ == "__main__":
    main()
