"""``accelsim --help`` stays fast: importing the command imports none of the heavy packages (issue 19).

The root group lists its commands without importing them (``accelsim.cli._lazy``); commands import
heavy packages inside their functions, on use. Checked in a fresh interpreter so that other tests'
imports do not hide a regression.
"""

import contextlib
import io
import pkgutil
import subprocess
import sys

import pytest
import typer

import accelsim.cli
from accelsim.cli import Commands, app, main
from accelsim.cli._lazy import load
from tests.conftest import CSV_PRUNED

HEAVY = ("numba", "numpy", "pandas", "pyarrow", "plotly", "simpy", "torch", "dask", "optuna", "amaranth", "scipy")
"""Never imported by ``import accelsim.cli`` nor by ``accelsim --help``."""
HELP_ONLY = ("pydantic", "yaml", "accelsim.topk", "accelsim.cli.run", "accelsim.cli.rtl")
"""Also not imported by ``accelsim --help`` (the commands' modules and what they import)."""


def _imported_after(code: str, watch: tuple[str, ...] = HEAVY) -> list[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(m for m in {watch!r} if m in sys.modules))"
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    return proc.stdout.splitlines()[-1].split()  # the last line: what the code printed comes before


HELP = (
    "import contextlib, io\nfrom accelsim.cli import main\n"
    "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
    "    main({args!r})"
)


@pytest.mark.smoke
def test_importing_the_cli_imports_no_heavy_package():
    assert _imported_after("import accelsim.cli", (*HEAVY, *HELP_ONLY, "rich")) == []  # rich: help and tables


def test_a_json_run_imports_no_rich(tmp_path):
    trace = tmp_path / "t.trace"
    trace.write_text("0x0 READ 0\n")
    run = f"from accelsim.cli import main\nmain({['dram', 'replay', str(trace), '--json']!r})"  # exit 0
    assert _imported_after(run, ("rich",)) == []


def test_an_event_run_of_a_request_trace_imports_no_pandas():
    # the WorkPlan keeps numpy tables; pandas loads where a run makes DataFrames (reports, sweeps, tensor traces)
    run = HELP.format(args=["run", "-w", str(CSV_PRUNED), "--json"])
    assert _imported_after(run, ("pandas", "pyarrow", "numba", "rich", "simpy")) == ["simpy"]


def test_help_imports_no_heavy_package_nor_any_command():
    assert _imported_after(HELP.format(args=["--help"]), HEAVY + HELP_ONLY) == []


def test_a_commands_help_imports_that_command_alone():
    # typer builds a command's parameters with pydantic: only the listing avoids it
    imported = _imported_after(HELP.format(args=["run", "--help"]), HEAVY + HELP_ONLY)
    assert "accelsim.cli.run" in imported and not {"accelsim.cli.rtl", "accelsim.topk"} & {*imported}
    assert not set(HEAVY) & {*imported}


def test_the_probe_sees_heavy_imports():
    assert "numpy" in _imported_after("import accelsim.topk\naccelsim.topk.ENGINES")


def test_every_command_module_is_listed_under_the_name_it_registers():
    modules = {f"accelsim.cli.{m.name}" for m in pkgutil.iter_modules(accelsim.cli.__path__) if m.name[0] != "_"}
    assert {lazy.module for lazy in Commands.lazy.values()} == modules
    for name, lazy in Commands.lazy.items():
        assert load(name, lazy.module).name == name


def _help(monkeypatch, loaded: dict) -> str:
    monkeypatch.setattr(Commands, "loaded", loaded)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        main(["--help"])
    return out.getvalue()


def test_the_listed_help_is_each_commands_own(monkeypatch):
    # the help listed from Commands.lazy alone reads as the help listed from the imported commands
    monkeypatch.setenv("COLUMNS", "300")
    real = {name: load(name, lazy.module) for name, lazy in Commands.lazy.items()}
    lazy_help, real_help = _help(monkeypatch, {}), _help(monkeypatch, real)
    assert "Simulate WORKLOAD under a policy on a hardware config." in lazy_help
    assert lazy_help == real_help


def test_an_unknown_command_gets_a_suggestion(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["rnu"])
    assert exc.value.code == 2
    assert capsys.readouterr().err == "accelsim: error: accelsim: No such command 'rnu'. Did you mean 'run'?\n"


def test_the_root_builds_the_lazy_group():
    assert isinstance(typer.main.get_command(app), Commands)
