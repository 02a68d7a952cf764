"""What tests need from outside Python: services, tools, a browser, corpus files.

Every test that needs one asks here, so a missing one is reported the same way everywhere: on a
developer's machine the test skips with the reason; under ``CI=true`` (``.ci/run``) the skip
becomes a failure with that reason, so a green CI run means every test group ran. The gate in
tests/conftest.py applies this to every skip, including ones written by hand; only the platform
skips listed in ``PLATFORM_SKIPS`` may stay skips under CI.
"""

from __future__ import annotations

import importlib
import os
import shutil
from pathlib import Path
from types import ModuleType
from typing import NoReturn

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The shared conformance corpus sits beside the checkout; COBRAND_CORPUS points elsewhere (a
# worktree, a CI cache).
CORPUS = Path(os.environ.get("COBRAND_CORPUS") or ROOT.parent / "shared" / "corpus")

# Skips about the platform itself, not about something missing that CI should provide. Exact
# reasons, each with why it is acceptable; anything else fails a CI run. Add one with care.
PLATFORM_SKIPS: dict[str, str] = {}

# Variables a CI run must set, and what goes untested without them.
CI_SERVICES = {
    "TEST_DATABASE_URL": "Postgres (the `engine` tests would run on SQLite only)",
    "TEST_REDIS_URL": "Redis (shared rate limits, the real Celery worker and beat)",
}


def in_ci() -> bool:
    """Read at call time: a test may start pytest in a subprocess with its own CI value."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def missing(reason: str) -> NoReturn:
    """Skip this test for something absent (the CI gate turns it into a failure)."""
    pytest.skip(reason)


def need_env(name: str, what: str) -> str:
    value = os.environ.get(name)
    if not value:
        missing(f"{name} is not set: no {what}")
    return value


def need_tool(command: str, package: str) -> str:
    path = shutil.which(command)
    if path is None:
        missing(f"{command} is not installed (Debian package {package})")
    return path


def need_module(name: str, why: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError:
        missing(f"Python module {name} is not installed: {why}")


def corpus_params(directory: Path, pattern: str) -> list[object]:
    """The corpus files as parametrize values (ids are file names); with none, one placeholder
    that skips with the reason, so an absent corpus shows up instead of collecting nothing."""
    files = sorted(directory.glob(pattern)) if directory.is_dir() else []
    if files:
        return [pytest.param(f, id=f.name) for f in files]
    reason = f"conformance corpus absent: {directory}/{pattern}"
    return [pytest.param(directory / "absent", marks=pytest.mark.skip(reason=reason), id="absent")]


def corpus_mark(path: Path) -> pytest.MarkDecorator:
    return unless(path.exists(), f"conformance corpus absent: {path}")


def unless(available: bool, reason: str) -> pytest.MarkDecorator:
    """A mark for a whole test or module: skips (fails under CI) when ``available`` is false."""
    return pytest.mark.skipif(not available, reason=reason)


def tool_mark(command: str, package: str) -> pytest.MarkDecorator:
    return unless(
        shutil.which(command) is not None,
        f"{command} is not installed (Debian package {package})",
    )


# The gate, called from tests/conftest.py's hooks.


def check_ci_services() -> None:
    if not in_ci():
        return
    unset = [f"{name}: {what}" for name, what in CI_SERVICES.items() if not os.environ.get(name)]
    if unset:
        raise pytest.UsageError("CI=true, but not set: " + "; ".join(unset))


def skip_reason(longrepr: object) -> str:
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        reason = str(longrepr[2])
    else:
        reason = str(longrepr)
    return reason.removeprefix("Skipped: ")


def gate(report: pytest.TestReport | pytest.CollectReport) -> None:
    """Under CI, turn a skip that is not an allowed platform skip into a failure with its reason."""
    if not (in_ci() and report.skipped) or hasattr(report, "wasxfail"):
        return
    reason = skip_reason(report.longrepr)
    if reason in PLATFORM_SKIPS:
        return
    report.outcome = "failed"
    # Provide what is missing; only a skip about the platform itself may go in PLATFORM_SKIPS.
    report.longrepr = f"CI=true: not run, which would hide a gap: {reason}"


def local_gaps() -> list[str]:
    """What a local run left out without a skip to show it (reported in the summary)."""
    return [
        f"{name} is not set: {what} not tested"
        for name, what in CI_SERVICES.items()
        if not os.environ.get(name)
    ]
