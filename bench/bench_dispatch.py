"""Benchmark: dispatching due campaign posts to a local X stand-in with two Celery workers.

Run:  TEST_DATABASE_URL=postgresql://... TEST_REDIS_URL=redis://.../N \\
      .venv/bin/python bench/bench_dispatch.py [--posts 10000] [--workers 2] [--concurrency 2]

The production shape: Postgres, Redis, ``celery worker`` processes (prefork), the dispatcher
task claiming due rows in batches and enqueuing one publish task each, the X publisher speaking
HTTP to the stand-in (tests/prm_domain/publishing/standins.py, which checks every request).
All posts fall due at one moment (a campaign launched "everywhere at once"), the hardest case.
Prints the time per 1,000 posts and the delay from each post's due time to its publication.
Not a test: numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import func, insert, select, text, update

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from prm_domain.base import utcnow  # noqa: E402
from prm_domain.database import make_engine, make_sessionmaker, upgrade  # noqa: E402
from prm_domain.enums import ChannelKind, PublicationState  # noqa: E402
from prm_domain.models import Partner, Tier  # noqa: E402
from prm_domain.models.channel import Channel  # noqa: E402
from prm_domain.models.publication import Publication  # noqa: E402
from prm_domain.publishing.secrets import seal  # noqa: E402
from tests.prm_domain.publishing.standins import running  # noqa: E402

PARTNERS = 100
SECRET = "bench-secret"  # noqa: S105 (a bench value)


def world(url: str, posts: int, token: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    with make_sessionmaker(engine)() as s:
        tier = Tier(name="T", rank=1, mdf_share_percent=0, discount_percent=0, content_access=[])
        s.add(tier)
        s.flush()
        channels = []
        for n in range(PARTNERS):
            p = Partner(name=f"P{n}", name_key=f"p{n}", type="reseller", tier_id=tier.id,
                        country="DE", region="EMEA", status="active")  # fmt: skip
            s.add(p)
            s.flush()
            c = Channel(partner_id=p.id, kind=ChannelKind.X, account=str(1000 + n),
                        secret=seal(SECRET, {"access_token": token}))  # fmt: skip
            s.add(c)
            s.flush()
            channels.append((p.id, c.id))
        later = utcnow().replace(year=2099)  # not due until the clock starts
        rows: list[dict[str, Any]] = [
            {
                "partner_id": channels[i % PARTNERS][0],
                "channel_id": channels[i % PARTNERS][1],
                "kind": "social",
                "key": uuid.uuid4().hex,
                "state": PublicationState.SCHEDULED,
                "due_at": later,
                "content": {"text": f"Post {i} of the launch"},
                "attempts": 0,
            }
            for i in range(posts)
        ]
        for start in range(0, posts, 2000):
            s.execute(insert(Publication), rows[start : start + 2000])
        s.commit()
    engine.dispose()


def cpu_seconds(session_ids: list[int]) -> float:
    """User + system CPU of every live process in these sessions (a worker and its pool): the
    cost that does not depend on how loaded the machine is."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) in session_ids:  # field 6 of stat: the session id
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def wait_ready(app: Any, names: list[str], within: float = 180.0) -> None:
    """Until every worker answers a control ping: on a loaded machine a worker takes tens of
    seconds to import the app, and the clock must not start before they can take work."""
    deadline = time.monotonic() + within
    waiting = set(names)
    while waiting and time.monotonic() < deadline:
        replies = app.extensions["celery"].control.ping(destination=sorted(waiting), timeout=1.0)
        for reply in replies:
            waiting -= set(reply)
    if waiting:
        raise SystemExit(f"workers not ready: {sorted(waiting)}")


def _stop(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # so that the finally below stops the workers and cleans up


def main() -> None:
    signal.signal(signal.SIGTERM, _stop)
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--pool", default="prefork", choices=("prefork", "threads"))
    args = parser.parse_args()
    base, redis_url = os.environ["TEST_DATABASE_URL"], os.environ["TEST_REDIS_URL"]
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    url = f"{base}{sep}options=-csearch_path%3D{schema}"
    queue = f"bench-{schema}"
    procs: list[subprocess.Popen[bytes]] = []
    logs = Path(tempfile.mkdtemp(prefix="bench-dispatch-"))
    try:
        with running() as standin:
            token = "bench-token"  # noqa: S105 (a bench value)
            standin.tokens.add(token)
            t = time.perf_counter()
            world(url, args.posts, token)
            took = time.perf_counter() - t
            print(f"world: {args.posts} posts for {PARTNERS} partners in {took:.1f} s")
            env = {
                **{k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")},
                "DATABASE_URL": url, "REDIS_URL": redis_url, "CELERY_QUEUE": queue,
                "SECRET_KEY": SECRET, "X_API_BASE": standin.url, "PUBLISH_TIMEOUT": "30",
            }  # fmt: skip
            for n in range(args.workers):
                procs.append(subprocess.Popen(
                    [sys.executable, "-m", "celery", "-A", "app.worker", "worker",
                     f"--pool={args.pool}", f"--concurrency={args.concurrency}",
                     "--loglevel=WARNING",
                     "--without-gossip", "--without-mingle", "--without-heartbeat",
                     "-n", f"bench{n}@%h", "-Q", queue],
                    cwd=ROOT, env=env, stdout=(logs / f"w{n}.log").open("w"),
                    stderr=subprocess.STDOUT, start_new_session=True,
                ))  # fmt: skip
            from app import create_app
            from app.celery_app import enqueue

            settings = {k: v for k, v in env.items() if k.isupper() and k != "PERIODIC_JOBS"}
            app = create_app(settings | {"PUBLISH_TIMEOUT": 30.0})
            wait_ready(app, [f"bench{n}@{socket.gethostname()}" for n in range(args.workers)])
            engine = make_engine(url)
            sessions = make_sessionmaker(engine)
            with sessions() as s:
                due = utcnow()
                s.execute(update(Publication).values(due_at=due))
                s.commit()
            sids = [p.pid for p in procs]
            cpu_before = cpu_seconds(sids)
            own_before = sum(os.times()[:2])  # this process: the stand-in (and the polling)
            start = time.perf_counter()
            with app.app_context():
                enqueue("cobrand.dispatch_publications")  # what beat sends each minute
            marks: list[tuple[int, float]] = []
            done = 0
            ticks = 1
            while done < args.posts and time.perf_counter() - start < 1200:
                time.sleep(0.5)
                if time.perf_counter() - start > 60 * ticks:  # beat's next tick
                    ticks += 1
                    with app.app_context():
                        enqueue("cobrand.dispatch_publications")
                with sessions() as s:
                    done = (
                        s.scalar(
                            select(func.count()).where(
                                Publication.state == PublicationState.PUBLISHED
                            )
                        )
                        or 0
                    )
                marks.append((done, time.perf_counter() - start))
            total = time.perf_counter() - start
            cpu = cpu_seconds(sids) - cpu_before
            own = sum(os.times()[:2]) - own_before
            with sessions() as s:
                delays = sorted(
                    (p - due).total_seconds()
                    for p in s.scalars(select(Publication.published_at).where(
                        Publication.published_at.is_not(None)))
                )  # fmt: skip
                by_state = select(Publication.state, func.count()).group_by(Publication.state)
                states = {str(k): v for k, v in s.execute(by_state).all()}
            engine.dispose()
            posted = len(standin.tweets)
            print(f"published {done} of {args.posts} in {total:.1f} s; stand-in got {posted}")
            print(f"states: {states}")
            print(f"stand-in request errors: {len(standin.errors)}")
            rate = f"{done / total:.0f} posts/s, {args.workers} workers x {args.concurrency}"
            print(f"time per 1,000 posts: {total / max(done, 1) * 1000:.2f} s ({rate})")
            print(
                f"CPU per 1,000 posts: workers {cpu / max(done, 1) * 1000:.2f} s, "
                f"stand-in and bench {own / max(done, 1) * 1000:.2f} s"
            )
            if delays:
                q = statistics.quantiles(delays, n=100)
                print(f"due -> published: median {statistics.median(delays):.1f} s, "
                      f"p95 {q[94]:.1f} s, max {delays[-1]:.1f} s; "
                      f"within 60 s: {sum(d <= 60 for d in delays) / len(delays):.1%}")  # fmt: skip
            print(f"load average now: {os.getloadavg()}")
    finally:
        for p in procs:
            try:
                os.killpg(p.pid, 15)
                p.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(p.pid, 9)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
        r = redis.Redis.from_url(redis_url)
        r.delete(queue, f"_kombu.binding.{queue}")
        r.close()


if __name__ == "__main__":
    main()
