"""Fixtures shared by the command tests."""

import json
from pathlib import Path

import pytest

from tests.conftest import CSV_PRUNED, built_once, run_cli


@pytest.fixture(scope="session")
def gpt2_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    """``accelsim run --hw spatten --policy spatten --workload <GPT-2 SpAtten CSV> --json -o FILE`` (the
    defaults, named; the default timing, event), run once per test run: (its stdout as JSON, FILE)."""

    def build(folder: Path) -> None:
        args = ("--hw", "spatten", "--policy", "spatten", "--workload", CSV_PRUNED, "--json", "-o", folder / "r.json")
        p = run_cli("run", *args)
        assert p.returncode == 0, p.stderr
        (folder / "stdout.json").write_text(p.stdout)

    folder = built_once(tmp_path_factory, "cli-gpt2-run", build)
    return json.loads((folder / "stdout.json").read_text()), folder / "r.json"
