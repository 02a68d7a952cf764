"""The CI gate: under CI=true a test that did not run for something missing fails the run."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
POPPLER_TEST = (
    "tests/asset_engine/test_engine_pdf_geometry.py::test_a_second_renderer_agrees[plain-rewrite]"
)


def _pytest(args: list[str], tmp: Path, **env: str | None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_") and k != "CI"}
    for key, value in env.items():
        if value is None:
            base.pop(key, None)
        else:
            base[key] = value
    return subprocess.run(
        # Its own --basetemp: the inner run never tidies the outer run's temporary folders.
        [
            *(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rA"),
            f"--basetemp={tmp / f'inner-{uuid.uuid4().hex[:8]}'}",
            *args,
        ],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_missing_tool_skips_locally_and_fails_under_ci(tmp_path: Path) -> None:
    services = {"TEST_DATABASE_URL": "postgresql://unused", "TEST_REDIS_URL": "redis://unused"}
    no_tools = str(tmp_path)  # an empty PATH: pdftoppm cannot be found
    local = _pytest([POPPLER_TEST], tmp_path, PATH=no_tools, **services)
    assert local.returncode == 0, local.stdout
    assert "1 skipped" in local.stdout
    ci = _pytest([POPPLER_TEST], tmp_path, PATH=no_tools, CI="true", **services)
    assert ci.returncode == 1, ci.stdout
    assert "CI=true: not run" in ci.stdout
    assert "pdftoppm is not installed (Debian package poppler-utils)" in ci.stdout


def test_ci_refuses_to_run_without_postgres_and_redis(tmp_path: Path) -> None:
    result = _pytest(
        [POPPLER_TEST], tmp_path, CI="true", TEST_DATABASE_URL=None, TEST_REDIS_URL="redis://unused"
    )
    assert result.returncode == 4, result.stdout + result.stderr  # a usage error: nothing ran
    assert "TEST_DATABASE_URL" in result.stderr
    assert "TEST_REDIS_URL" not in result.stderr


# As scripts/test runs the suite (on pytest-xdist workers, whose reports the gate changes before
# they reach the controller) and in one process.
@pytest.mark.parametrize("workers", [["-n", "2"], []], ids=["xdist", "serial"])
def test_under_ci_any_skip_fails_except_a_listed_platform_skip(
    tmp_path: Path, workers: list[str]
) -> None:
    (tmp_path / "test_skips.py").write_text(
        "import pytest\n"
        "from tests import requirements\n"
        "requirements.PLATFORM_SKIPS['no such platform feature'] = 'listed for this test'\n"
        "def test_hand_written_skip():\n"
        "    pytest.skip('the license server is down')\n"
        "def test_platform_skip():\n"
        "    pytest.skip('no such platform feature')\n"
        "@pytest.mark.skipif(True, reason='a marker skip')\n"
        "def test_marker_skip():\n"
        "    pass\n"
        "def test_runs():\n"
        "    pass\n"
    )
    # tests/conftest.py (and its gate) loaded as a plugin, as it is for every file under tests/.
    result = _pytest(
        [
            *workers,
            *("-p", "tests.conftest", "--rootdir", str(ROOT), str(tmp_path / "test_skips.py")),
        ],
        tmp_path,
        CI="true",
        TEST_DATABASE_URL="postgresql://unused",
        TEST_REDIS_URL="redis://unused",
    )
    out = result.stdout
    assert result.returncode == 1, out
    assert "1 failed, 1 passed, 1 skipped, 1 error" in out  # the marker skip is at setup
    assert "CI=true: not run, which would hide a gap: the license server is down" in out
    assert "CI=true: not run, which would hide a gap: a marker skip" in out
    assert "SKIPPED [1] " in out and "no such platform feature" in out
