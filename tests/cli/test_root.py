"""The root command: --version, -h on every command, shell completion."""

import os
import subprocess
import sys

import pytest
import typer
from typer.core import TyperGroup

import accelsim
from accelsim.cli import app, main
from tests.conftest import ROOT


def _paths(cmd, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path of the click tree under ``cmd`` (typer's own click: a group lists its commands;
    the root's are imported on lookup)."""
    out = [prefix]
    if isinstance(cmd, TyperGroup):
        ctx = typer.Context(cmd)
        for name in cmd.list_commands(ctx):
            out += _paths(cmd.get_command(ctx, name), (*prefix, name))
    return out


COMMANDS = _paths(typer.main.get_command(app))


def status(*args: str) -> int:
    """Exit status of ``accelsim ARGS`` run in this process."""
    try:
        main(list(args))
    except SystemExit as exc:
        return exc.code
    return 0


def test_version(capsys):
    assert status("--version") == 0 and capsys.readouterr().out == f"accelsim {accelsim.__version__}\n"


def test_the_tree_holds_every_command():
    assert {"run", "sweep", "presets", "show", "validate"} <= {p[0] for p in COMMANDS if p}
    assert ("dram", "replay") in COMMANDS and ("trace", "info") in COMMANDS


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "accelsim")
def test_h_is_help(path, capsys):
    code = status(*path, "-h")
    out = capsys.readouterr().out
    usage = next(line for line in out.splitlines() if "Usage:" in line)
    assert code == 0 and " ".join(("accelsim", *path)) in usage and "--help" in out and "-h" in out


def test_completion_completes_commands_and_options():
    env = {"_ACCELSIM_COMPLETE": "complete_bash", "COMP_CWORD": "1", "COMP_WORDS": "accelsim pre"}
    complete = ["from accelsim.cli import main", "main()"]
    out = run_python(complete, env)
    assert out.stdout.split() == ["presets"], out.stderr
    env.update(COMP_CWORD="2", COMP_WORDS="accelsim sweep --dry")
    assert run_python(complete, env).stdout.split() == ["--dry-run"]
    # preset names: of the option's kind, or of the kind given before (show KIND NAME)
    env.update(COMP_CWORD="3", COMP_WORDS="accelsim run --hw spa")
    assert run_python(complete, env).stdout.split() == ["spatten", "spatten-1-8"]
    env.update(COMP_CWORD="3", COMP_WORDS="accelsim show dram hbm2")
    assert run_python(complete, env).stdout.split() == ["hbm2-dramsim3", "hbm2-spatten"]


def run_python(code: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """``python -c CODE`` with ``env`` added, in a fresh interpreter (completion reads the environment)."""
    return subprocess.run(
        [sys.executable, "-c", "\n".join(code)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        env={**os.environ, **env},
    )


def test_show_completion_prints_a_script(capsys, monkeypatch):
    # typer detects the shell from the process tree (shellingham), which an xdist worker may not show
    monkeypatch.setattr(typer.completion, "_get_shell_name", lambda: "bash")
    status("--show-completion")
    assert "_ACCELSIM_COMPLETE=complete_bash" in capsys.readouterr().out


TABLE_COMMANDS = [
    ("run", "-w", "x"),
    ("sweep", "x"),
    ("pareto", "x"),
    ("validate",),
    ("describe",),
    ("bertcpp", "x"),
    ("presets",),
    ("dram", "replay", "x"),
    ("trace", "info", "x"),
]
"""The commands that print tables, with the arguments they need."""


@pytest.mark.parametrize("args", TABLE_COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_every_table_command_takes_format(args, capsys):
    # --format comes first on the line, so its value is checked before the (dummy) arguments
    path = [a for a in args if a not in ("-w", "x")]
    assert status(*path, "--format", "xml", *args[len(path) :]) == 2
    assert "'xml' is not one of 'table', 'csv', 'md', 'json'" in capsys.readouterr().err
