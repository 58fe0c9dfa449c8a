"""Every example in README.md runs as written: each shell command of a ```bash block and each
```python block, from a scratch folder that sees the repository's workloads/ and sweeps/.

A block the test must not run says so in the README itself, on the line before its fence:
``<!-- readme-test: skip: REASON -->``.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

FENCE = re.compile(
    r"(?:<!-- readme-test: skip: (?P<why>[^\n]+?) -->\n)?^```(?P<lang>\w*)\n(?P<body>.*?)^```", re.S | re.M
)
SHARED = ("workloads", "sweeps")
"""What the examples read, linked into the folder they run in (what they write lands there)."""


def examples() -> list:
    """(language, commands) of each block to run, as pytest params: a bash block's commands one by one
    (in one folder, as a shell session would), a python block whole; skipped blocks are left out."""
    out = []
    for m in FENCE.finditer((ROOT / "README.md").read_text()):
        if m["why"] or m["lang"] not in ("bash", "python"):
            continue
        if m["lang"] == "python":
            commands = [m["body"]]
        else:
            lines = m["body"].replace("\\\n", " ").splitlines()
            commands = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
        line = (ROOT / "README.md").read_text()[: m.start("body")].count("\n") + 1
        out.append(pytest.param(m["lang"], commands, id=f"README.md:{line}"))
    return out


def test_every_block_is_run_or_says_why_not():
    text = (ROOT / "README.md").read_text()
    blocks = list(FENCE.finditer(text))
    assert len(blocks) == text.count("\n```") // 2  # the pattern sees every fenced block
    assert all(len(m["why"]) > 10 for m in blocks if m["why"])
    langs = [p.values[0] for p in examples()]
    assert langs.count("bash") >= 3 and "python" in langs


@pytest.mark.parametrize(("lang", "commands"), examples())
def test_example_runs(lang, commands, tmp_path):
    for name in SHARED:
        (tmp_path / name).symlink_to(ROOT / name)
    bindir = str(Path(sys.executable).parent)  # `accelsim` and `python` of this environment
    env = {
        **os.environ,
        "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    for code in commands:
        cmd = ["bash", "-e", "-o", "pipefail", "-c", code] if lang == "bash" else [sys.executable, "-c", code]
        p = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
        assert p.returncode == 0, f"{code}\n{p.stderr[-2000:]}"
