"""``accelsim --help`` stays fast: importing the command imports none of the heavy packages (issue 19).

Commands import them inside their functions, on use; checked in a fresh interpreter so that other
tests' imports do not hide a regression.
"""

import subprocess
import sys

HEAVY = ("numba", "numpy", "pandas", "plotly", "simpy")


def _imported_after(code: str) -> list[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                          check=True)
    return proc.stdout.split()


def test_importing_the_cli_imports_no_heavy_package():
    assert _imported_after("import accelsim.cli") == []


def test_help_imports_no_heavy_package():
    code = ("import contextlib, io\nfrom accelsim.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
            "    main(['--help'])")
    assert _imported_after(code) == []


def test_the_probe_sees_heavy_imports():
    assert "numpy" in _imported_after("import accelsim.topk\naccelsim.topk.ENGINES")
