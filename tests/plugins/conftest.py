"""The example plug-in package (examples/accelsim-example-plugins), pip-installed once per session
into a temporary target folder that only the subprocesses which put it on PYTHONPATH can see."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "accelsim-example-plugins"


@pytest.fixture(scope="session")
def example_site(tmp_path_factory) -> Path:
    """A folder holding the installed example package and its entry points (its dist-info)."""
    tmp = tmp_path_factory.mktemp("example-plugins")
    src = tmp / "src"
    shutil.copytree(EXAMPLE, src)  # pip builds in the source folder: keep the repository clean
    site = tmp / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--target",
            str(site),
            str(src),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return site


def accelsim(*args: object, site: Path | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """``python ARGS`` in a fresh interpreter that sees the example package when ``site`` is given."""
    paths = [str(site)] if site is not None else []
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([*paths, str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [sys.executable, *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env, timeout=300
    )


def run_json(*args: object, site: Path | None = None, cwd: Path = ROOT) -> dict:
    """``accelsim run ARGS --json``, parsed; fails the test with the command's stderr."""
    proc = accelsim("-m", "accelsim.cli", "run", *args, "--json", site=site, cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)
