"""The README's two commands, run from a fresh clone in a temporary folder, as a new user would.

Slow (it installs everything into a new virtualenv), so it runs where COBRAND_FRESH_CLONE_TEST is
set: `.ci/run` sets it. It checks what is committed (a clone), not the working tree.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import sqlite3
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from tests.requirements import unless

ROOT = Path(__file__).resolve().parent.parent
LOGIN = re.compile(r"^(\w+): (\S+@\S+) / (\S+)$")

pytestmark = [
    pytest.mark.slow,
    # Two installs into new virtualenvs and two starts of the product: minutes on a loaded machine.
    pytest.mark.timeout(600),
    unless(
        bool(os.environ.get("COBRAND_FRESH_CLONE_TEST")),
        "set COBRAND_FRESH_CLONE_TEST=1 to run the README commands in a fresh clone",
    ),
]


def readme_commands() -> list[str]:
    blocks = re.findall(
        r"```(?:sh|bash|shell|console)\n(.*?)```", (ROOT / "README.md").read_text(), re.S
    )
    return [b.strip() for b in blocks[:2]]


def test_readme_starts_with_two_one_line_commands() -> None:
    commands = readme_commands()
    assert len(commands) == 2
    assert all("\n" not in c for c in commands), commands


def _clean_env(port: int) -> dict[str, str]:
    drop = {
        "DATABASE_URL",
        "REDIS_URL",
        "SECRET_KEY",
        "STORAGE_DIR",
        "VIRTUAL_ENV",
        "PYTHONPATH",
        "COBRAND_FRESH_CLONE_TEST",
    }
    # Not this run's pytest variables either (PYTEST_ADDOPTS, PYTEST_XDIST_WORKER, ...).
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in drop and not k.startswith(("TEST_", "PYTEST_"))
    }
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if "/.venv/" not in p
    )
    env["PORT"] = str(port)
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve_until_ready(
    command: str, cwd: Path, env: dict[str, str], timeout: float
) -> tuple[subprocess.Popen[str], list[str]]:
    proc = subprocess.Popen(
        command,
        shell=True,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        try:
            for line in proc.stdout:  # type: ignore[union-attr]
                lines.put(line)
        except ValueError:
            pass  # _stop closed the pipe while this thread was between two lines

    threading.Thread(target=read, daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1).rstrip("\n")
        except queue.Empty:
            if proc.poll() is not None:
                break
            continue
        seen.append(line)
        if "Ctrl+C" in line:
            return proc, seen
    _stop(proc)
    pytest.fail("the run command did not become ready:\n" + "\n".join(seen[-40:]))


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    if proc.stdout:
        proc.stdout.close()


def _row_counts(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(db)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {
            t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
            for t in tables
            if t not in ("alembic_version", "api_token", "audit_event")
        }
    finally:
        conn.close()


def test_fresh_clone_runs_the_product_and_the_tests(tmp_path: Path) -> None:
    run_command, test_command = readme_commands()
    clone = tmp_path / "cobrand"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=120)
    port = _free_port()
    env = _clean_env(port)

    proc, out = _serve_until_ready(run_command, clone, env, timeout=600)
    try:
        urls = [
            m.group(0) for line in out for m in [re.search(r"http://127\.0\.0\.1:\d+", line)] if m
        ]
        assert urls, out
        base = urls[0]
        logins = [LOGIN.match(line).groups() for line in out if LOGIN.match(line)]  # type: ignore[union-attr]
        roles = [role for role, _, _ in logins]
        assert {"vendor_admin", "channel_manager"} <= set(roles)
        assert roles.count("partner_admin") >= 2
        with urllib.request.urlopen(base + "/sign-in", timeout=10) as r:
            assert r.status == 200
        _, email, password = next(lg for lg in logins if lg[0] == "partner_admin")
        request = urllib.request.Request(
            base + "/api/v1/tokens",
            data=json.dumps({"email": email, "password": password}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as r:
            assert r.status == 201
            token = json.load(r)["token"]
        me = urllib.request.Request(
            base + "/api/v1/me", headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(me, timeout=10) as r:
            assert json.load(r)["partner_id"] is not None
    finally:
        _stop(proc)

    # Running it again loads nothing twice.
    before = _row_counts(clone / "instance" / "cobrand.db")
    proc, _ = _serve_until_ready(run_command, clone, _clean_env(_free_port()), timeout=300)
    _stop(proc)
    assert _row_counts(clone / "instance" / "cobrand.db") == before

    # The test command installs the dev tools and runs pytest; here on the smoke tests only,
    # since this very suite is what it would otherwise run again.
    # Under CI=true the inner run refuses to start without its services, as the outer one does.
    services = {k: v for k, v in os.environ.items() if k.startswith("TEST_")}
    test_env = env | services | {"PYTEST_ADDOPTS": "-p no:cacheprovider tests/app/test_smoke.py"}
    result = subprocess.run(
        test_command,
        shell=True,
        cwd=clone,
        env=test_env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert re.search(r"\d+ passed", result.stdout), result.stdout[-2000:]
