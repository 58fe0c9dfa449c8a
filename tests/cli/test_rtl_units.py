"""``accelsim rtl build|verify softmax|requant``: option checks (the benches themselves: tests/rtl/test_units.py)."""

import pytest

from accelsim.rtl.topk import harness
from tests.conftest import cli


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["rtl", "verify", "requant", "--index-width", "9"],
            "field '--index-width': not a parameter of the requant unit: leave it at its default",
        ),
        (
            ["rtl", "verify", "softmax", "--engine", "sorter"],
            "field '--engine': not a parameter of the softmax unit: leave it at its default",
        ),
        (
            ["rtl", "build", "softmax", "--param", "max_k=4"],
            "field '--param': not a parameter of the softmax unit: leave it at its default",
        ),
        (
            ["rtl", "build", "requant", "--hw", "spatten"],
            "field '--hw': not a parameter of the requant unit: leave it at its default",
        ),
        (
            ["rtl", "verify", "softmax", "--parallelism", "3"],
            "bad softmax parameters: parallelism must be a power of two, not 3",
        ),
        (
            ["rtl", "verify", "softmax", "--width", "40"],
            "bad softmax parameters: width: Input should be less than or equal to 24",
        ),
        (["rtl", "verify", "requant", "--vectors", "-1"], "field '--vectors': must be a non-negative integer, not -1"),
    ],
)
def test_bad_input_is_one_line_exit_2(args, message):
    done = cli(*args)
    assert done.returncode == 2
    assert done.stderr == f"accelsim: error: {message}\n"


@pytest.mark.parametrize(("command", "tool"), [("verify", "iverilog"), ("build", "yosys")])
def test_missing_tool_names_debian_package(command, tool, monkeypatch):
    monkeypatch.setattr(harness.shutil, "which", lambda _: None)
    done = cli("rtl", command, "softmax")
    assert done.returncode == 2 and f"{tool} not found; install it with: sudo apt-get install {tool}" in done.stderr
