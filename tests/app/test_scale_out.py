"""Beyond one machine: two web processes (gunicorn, as the Procfile starts it) and two Celery
workers sharing only Postgres, Redis and an S3 bucket (a real S3-protocol server on loopback,
tests/s3.py). Each process gets a STORAGE_DIR of its own that must stay empty, so every file
they share has gone through the bucket. A batch started through one web process is rendered by
the workers and downloaded through the other."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from tests import s3
from tests.conftest import drop_postgres_schema, postgres_engine
from tests.requirements import need_env

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]
RENDERED = re.compile(r"Task cobrand\.run_render_job\[[^\]]+\] succeeded")


def _procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the test looks at the redirect itself


_open_no_redirect = urllib.request.build_opener(_NoRedirect).open


def _call(url: str, token: str | None = None, body: Any = None) -> tuple[int, Any, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with _open_no_redirect(request, timeout=20) as r:
            raw = r.read()
            return r.status, r.headers, raw
    except urllib.error.HTTPError as e:
        with e:
            return e.code, e.headers, e.read()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    base = need_env("TEST_DATABASE_URL", "Postgres shared by the machines")
    redis_url = need_env("TEST_REDIS_URL", "Redis shared by the machines")
    tmp = tmp_path_factory.mktemp("cluster")
    schema = f"s_{uuid.uuid4().hex[:12]}"
    postgres_engine(schema).dispose()
    sep = "&" if "?" in base else "?"
    procfile = _procfile()
    procs: list[tuple[str, subprocess.Popen[bytes], Path]] = []
    with s3.s3_server() as endpoint:
        bucket = s3.new_bucket(endpoint)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")},
            **s3.CREDENTIALS,
            "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
            "DATABASE_URL": f"{base}{sep}options=-csearch_path%3D{schema}",
            "REDIS_URL": redis_url,
            "SECRET_KEY": "scale-out-test",
            "STORAGE_URL": f"s3://{bucket}/cobrand",
            "S3_ENDPOINT_URL": endpoint,
            "STORAGE_DIR": str(tmp / "release-storage"),
            "CELERY_QUEUE": f"scale-{schema}",
            "RATE_LIMIT_PREFIX": f"scale-{schema}",
            "WEB_CONCURRENCY": "1",
            "WEB_THREADS": "2",
            "WORKER_CONCURRENCY": "1",
        }
        machines: dict[str, Any] = {"bucket": bucket, "endpoint": endpoint, "dirs": []}

        def start(name: str, command: str, **extra: str) -> None:
            log = tmp / f"{name}.log"
            storage_dir = tmp / f"{name}-storage"  # this "machine's" own disk
            machines["dirs"].append(storage_dir)
            with log.open("w") as out:
                proc = subprocess.Popen(
                    command,
                    shell=True,
                    cwd=ROOT,
                    env={**env, "STORAGE_DIR": str(storage_dir), **extra},
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            procs.append((name, proc, log))

        try:
            subprocess.run(
                procfile["release"], shell=True, cwd=ROOT, env=env, check=True, timeout=120
            )
            # Web "a" redirects downloads to the bucket; web "b" streams them through itself.
            # The processes boot while the demo loads.
            for name, presign in (("web-a", "300"), ("web-b", "0")):
                port = _free_port()
                web = re.sub(r"\$\{PORT:-\d+\}", str(port), procfile["web"])
                start(name, web, S3_PRESIGN_SECONDS=presign)
                machines[name] = f"http://127.0.0.1:{port}"
            for name in ("worker-1", "worker-2"):
                quick = " --without-gossip --without-mingle --without-heartbeat"
                start(name, f"{procfile['worker']} -n {name}@%h{quick}")
            subprocess.run(
                "cobrand demo", shell=True, cwd=ROOT, env=env, check=True, timeout=180,
                capture_output=True,
            )  # fmt: skip
            for name in ("web-a", "web-b"):
                deadline = time.monotonic() + 90
                while _ready(machines[name]) is False:
                    assert time.monotonic() < deadline, _logs(procs)
                    time.sleep(0.3)
            for _, _, log in procs[2:]:  # both workers listening, so that both take a share
                while " ready." not in log.read_text():
                    assert time.monotonic() < deadline, _logs(procs)
                    time.sleep(0.3)
            machines["logs"] = lambda: _logs(procs)
            machines["log_of"] = {name: log.read_text for name, _, log in procs}
            yield machines
        finally:
            for _, proc, _ in procs:
                os.killpg(proc.pid, signal.SIGTERM)
            for _, proc, _ in procs:
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
            drop_postgres_schema(schema)
            client = redis.Redis.from_url(redis_url)
            queue = env["CELERY_QUEUE"]
            client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
            client.close()


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/sign-in", timeout=5) as r:
            return bool(r.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):  # still starting
        return False


def _logs(procs: list[tuple[str, subprocess.Popen[bytes], Path]]) -> str:
    return "\n".join(f"--- {name}\n{log.read_text()[-3000:]}" for name, _, log in procs)


def test_a_batch_started_on_one_web_process_is_downloaded_from_the_other(
    cluster: dict[str, Any],
) -> None:
    a, b = cluster["web-a"], cluster["web-b"]
    login = {"email": "admin@nimbus.example", "password": "cobrand-demo"}
    status, _, raw = _call(a + "/api/v1/tokens", body=login)
    assert status == 201, raw
    token = json.loads(raw)["token"]
    status, _, raw = _call(a + "/api/v1/assets?kind=pdf", token)
    assert status == 200, raw
    brochure = next(
        x
        for x in json.loads(raw)["items"]
        if x["kind"] == "pdf" and x["status"] == "published" and not x["audience_tier_ids"]
    )

    status, _, raw = _call(
        a + f"/api/v1/assets/{brochure['id']}/batches", token, {"format": "pdf", "segment": {}}
    )
    assert status == 202, raw
    job = json.loads(raw)
    assert job["total"] >= 3  # enough partners for both workers to take a share

    # Progress is read through the other web process while the workers render.
    deadline = time.monotonic() + 120
    while job["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline, cluster["logs"]()
        time.sleep(0.3)
        status, _, raw = _call(b + f"/api/v1/jobs/{job['id']}", token)
        assert status == 200, raw
        job = json.loads(raw)
        assert 0 <= job["done"] <= job["total"]
    assert job["status"] == "done" and job["done"] == job["total"], job
    assert job["failures"] == [], job["failures"]

    # Web b streams the zip out of the bucket; web a sends the browser to the bucket itself.
    status, headers, streamed = _call(b + f"/api/v1/jobs/{job['id']}/download", token)
    assert status == 200, streamed[:300]
    assert headers["Content-Type"] == "application/zip"
    assert f'filename="render-job-{job["id"]}.zip"' in headers["Content-Disposition"]
    status, headers, _ = _call(a + f"/api/v1/jobs/{job['id']}/download", token)
    assert status == 302
    assert headers["Location"].startswith(cluster["endpoint"] + "/" + cluster["bucket"] + "/")
    assert headers["Cache-Control"] == "private, no-store"
    with urllib.request.urlopen(headers["Location"], timeout=20) as r:
        assert r.headers["Content-Type"] == "application/zip"
        assert f'filename="render-job-{job["id"]}.zip"' in r.headers["Content-Disposition"]
        assert r.read() == streamed

    archive = zipfile.ZipFile(io.BytesIO(streamed))
    names = archive.namelist()
    assert len(names) == job["total"] and all(n.endswith(".pdf") for n in names)
    for name in names:
        assert archive.read(name).startswith(b"%PDF-")

    # Both workers rendered a share, and no process kept a file on its own disk: everything
    # went through the bucket.
    for worker in ("worker-1", "worker-2"):
        assert RENDERED.search(cluster["log_of"][worker]()), cluster["logs"]()
    for folder in cluster["dirs"]:
        assert not folder.exists() or not any(p.is_file() for p in folder.rglob("*")), folder
    objects = s3.object_names(cluster["endpoint"], cluster["bucket"])
    assert any(o.endswith(headers["Location"].split("?")[0].rsplit("/", 1)[1]) for o in objects)
