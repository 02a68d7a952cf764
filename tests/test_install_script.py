"""scripts/install probes for a Python quietly: a pyenv shim for a version that is not active
answers "command not found" on stderr, and `./scripts/run` must not print a dozen of those."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SHIM = """#!/bin/sh
echo "pyenv: $(basename "$0"): command not found" >&2
echo "" >&2
echo "The \\`$(basename "$0")' command exists in these Python versions:" >&2
exit 127
"""


def test_install_probes_python_versions_without_printing_pyenv_noise(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "install", project / "scripts" / "install")
    shutil.copy(ROOT / "pyproject.toml", project / "pyproject.toml")
    # An installed .venv whose stamp matches: the script only probes, then has nothing to do.
    venv_bin = project / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    (venv_bin / "python").symlink_to(sys.executable)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    (project / ".venv" / ".cobrand-installed").write_text(digest + "\n")

    shims = tmp_path / "shims"
    shims.mkdir()
    for name in ("python3.13", "python3.12"):
        shim = shims / name
        shim.write_text(SHIM)
        shim.chmod(0o755)
    (shims / "python3").symlink_to(sys.executable)
    env = {k: v for k, v in os.environ.items() if k != "PYTHON"}
    env["PATH"] = f"{shims}:/usr/bin:/bin"

    done = subprocess.run(
        ["bash", str(project / "scripts" / "install")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "command not found" not in done.stderr
    assert done.stderr == ""
