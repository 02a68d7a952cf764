"""The parallel run keeps its promises (tests/parallel.py): xdist really sends each group to one
worker. A pytest or xdist upgrade once broke this silently (pytest-dev/pytest-xdist#1386), and the
connection-heavy tests then met on two workers and ran Postgres out of connections."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests import parallel

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.timeout(300)  # a whole pytest run of its own, started with the suite's longest
def test_connection_heavy_modules_run_on_one_worker() -> None:
    heavy = sorted(parallel.CONNECTION_HEAVY)
    # Without the services the tests only skip, which is all this needs: where each one ran.
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CI", "TEST_DATABASE_URL", "PYTEST_ADDOPTS") and not k.startswith("PYTEST_X")
    }
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "2"]
    result = subprocess.run(
        [*command, "--dist=loadgroup", "-v", *heavy],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    ran = re.findall(r"^\[(gw\d+)\] .*? (tests/\S+)", result.stdout, re.M)
    modules = {path.split("::")[0] for _, path in ran}
    assert modules == set(heavy), result.stdout[-3000:]
    assert len({worker for worker, _ in ran}) == 1, ran
