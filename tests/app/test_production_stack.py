"""The Procfile's release and web steps for real: migrate, then gunicorn with two workers on
Postgres and Redis, where the sign-in rate limit must hold across processes."""

from __future__ import annotations

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
from pathlib import Path

import pytest

from tests.conftest import drop_postgres_schema, postgres_engine
from tests.requirements import need_env

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]


def _procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def _post(url: str, body: dict[str, str]) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def test_procfile_names_the_four_processes() -> None:
    assert set(_procfile()) == {"release", "web", "worker", "beat"}


def test_release_then_gunicorn_on_postgres_and_redis(tmp_path: Path) -> None:
    need_env("TEST_DATABASE_URL", "Postgres for the stack")
    need_env("TEST_REDIS_URL", "Redis for the stack")
    schema = f"g_{uuid.uuid4().hex[:12]}"
    postgres_engine(schema).dispose()
    base = os.environ["TEST_DATABASE_URL"]
    sep = "&" if "?" in base else "?"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "DATABASE_URL": f"{base}{sep}options=-csearch_path%3D{schema}",
        "REDIS_URL": os.environ["TEST_REDIS_URL"],
        "SECRET_KEY": "stack-test",
        "STORAGE_DIR": str(tmp_path / "storage"),
        "CELERY_QUEUE": f"stack-{schema}",
        "RATE_LIMIT_PREFIX": f"stack-{schema}",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "LOGIN_LIMIT_PER_ACCOUNT_ADDRESS": "3 per 15 minutes",
    }
    procfile = _procfile()
    try:
        subprocess.run(procfile["release"], shell=True, cwd=ROOT, env=env, check=True, timeout=120)
        subprocess.run(
            "cobrand demo",
            shell=True,
            cwd=ROOT,
            env=env,
            check=True,
            timeout=120,
            capture_output=True,
        )
        web = re.sub(r"\$\{PORT:-\d+\}", str(port), procfile["web"])
        log = (tmp_path / "web.log").open("w")
        proc = subprocess.Popen(
            web,
            shell=True,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(url + "/sign-in", timeout=5) as r:
                        assert r.status == 200
                        assert "Content-Security-Policy" in r.headers
                        break
                except (urllib.error.URLError, ConnectionError, TimeoutError):  # still starting
                    assert time.monotonic() < deadline, (tmp_path / "web.log").read_text()
                    time.sleep(0.3)
            status, body = _post(
                url + "/api/v1/tokens",
                {"email": "ben@bluewave-msp.example", "password": "cobrand-demo"},
            )
            assert status == 201, body
            # Requests land on either worker; the count lives in Redis, so the limit holds.
            codes = [
                _post(
                    url + "/api/v1/tokens",
                    {"email": "ben@bluewave-msp.example", "password": "wrong-password"},
                )[0]
                for _ in range(8)
            ]
            assert codes[:3] == [401, 401, 401]
            assert set(codes[3:]) == {429}
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
            log.close()
    finally:
        drop_postgres_schema(schema)
