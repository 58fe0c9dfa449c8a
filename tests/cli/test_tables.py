"""The shared table printer: every --format, full precision off a terminal, numbers never cut."""

import csv
import io
import json

import pytest
from rich.console import Console

from accelsim.cli._tables import Cell, Format, Sheet, emit, one_of
from accelsim.errors import InputError

X = 1.4373456789012345  # more digits than any display format keeps


def sheet() -> Sheet:
    t = Sheet("front", "Pareto front", ["hardware", "hw.topk.parallelism", "cycles", "energy_j", "note"])
    t.add("spatten-1-8", 16, 1234567.891, X, Cell(0.5, "0.50 mJ (half)"))
    t.add("dense", 2, None, 2.0e-9, "no value")
    return t


def printed(fmt: Format, **console) -> str:
    import contextlib

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        emit(sheet(), fmt, Console(file=buf, **console) if console else None)
    return buf.getvalue()


def test_json_rows_at_full_precision(capsys):
    emit(sheet(), Format.json)
    rows = json.loads(capsys.readouterr().out)
    assert rows[0] == {
        "hardware": "spatten-1-8",
        "hw.topk.parallelism": 16,
        "cycles": 1234567.891,
        "energy_j": X,
        "note": 0.5,
    }
    assert rows[1]["cycles"] is None


def test_several_sheets_are_an_object_by_key(capsys):
    other = Sheet("energy", "energy", ["unit", "j"], [["qk", 1.0]])
    emit([sheet(), other], Format.json)
    assert set(json.loads(capsys.readouterr().out)) == {"front", "energy"}


def test_csv_reads_back_exactly(capsys):
    emit(sheet(), Format.csv)
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert float(rows[0]["energy_j"]) == X and rows[0]["cycles"] == "1234567.891"
    assert rows[1]["cycles"] == "" and rows[1]["note"] == "no value"


def test_markdown(capsys):
    emit(sheet(), Format.md)
    lines = capsys.readouterr().out.splitlines()
    assert lines[2] == "| hardware | hw.topk.parallelism | cycles | energy_j | note |"
    assert lines[3] == "|---|---:|---:|---:|---|" and repr(X) in lines[4]  # note mixes text and numbers


def test_table_off_a_terminal_is_full_precision():
    out = printed(Format.table, width=80, force_terminal=False)
    assert repr(X) in out and "1234567.891" in out and "…" not in out


@pytest.mark.parametrize("width", [40, 60, 80, 120])
def test_table_on_a_terminal_never_cuts_a_number(width):
    out = printed(Format.table, width=width, force_terminal=True, color_system=None)
    # the display formats round (6 significant digits, counts with thousands separators)...
    assert "1,234,568" in out and "1.43735" in out and "2e-09" in out
    # ...but each value and name stands whole on one line, however narrow the terminal
    for whole in ("spatten-1-8", "1,234,568", "1.43735", "2e-09"):
        assert any(whole in line for line in out.splitlines()), (width, whole)
    assert "…" not in out


def test_display_text_of_a_cell_and_hidden_columns():
    t = Sheet("s", "", ["metric", "value", "unit"], [["time", Cell(0.0005, "0.500 ms"), "s"]], hidden=["unit"])
    buf = io.StringIO()
    emit(t, Format.table, Console(file=buf, force_terminal=True, color_system=None, width=80))
    assert "0.500 ms" in buf.getvalue() and "│ s " not in buf.getvalue()
    buf = io.StringIO()
    emit(t, Format.table, Console(file=buf, force_terminal=False, width=80))
    assert "0.0005" in buf.getvalue() and "│ s " in buf.getvalue()


def test_json_flag_and_format_together_are_refused():
    one_of(True, Format.table)
    one_of(False, Format.csv)
    with pytest.raises(InputError, match=r"^field '--format': give --json or --format csv, not both$"):
        one_of(True, Format.csv)
