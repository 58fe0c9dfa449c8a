"""DRAM trace files: DRAMsim3 reading and writing, Ramulator2 writing, errors with line numbers."""

from __future__ import annotations

import numpy as np
import pytest

from accelsim.errors import InputError
from accelsim.hw.dram import read_dram_trace, write_dram_trace


def test_dramsim3_round_trip(tmp_path):
    addr = np.array([0, 0x40, 0x1_0000_0000])
    cyc = np.array([0, 3, 9])
    wr = np.array([False, True, False])
    path = tmp_path / "t.trace"
    assert write_dram_trace(path, addr, cyc, is_write=wr) == 3
    assert path.read_text() == "0x0 READ 0\n0x40 WRITE 3\n0x100000000 READ 9\n"
    t = read_dram_trace(path)
    assert t.addr.tolist() == addr.tolist()
    assert t.cycle.tolist() == cyc.tolist()
    assert t.is_write.tolist() == wr.tolist()


def test_ramulator2_format(tmp_path):
    path = tmp_path / "t.trace"
    write_dram_trace(path, np.array([0x20, 0x40]), is_write=np.array([False, True]), fmt="ramulator2")
    assert path.read_text() == "LD 0x20\nST 0x40\n"


def test_comments_blank_lines_and_decimal_addresses(tmp_path):
    path = tmp_path / "t.trace"
    path.write_text("# header\n\n64 read 5  # trailing\n")
    t = read_dram_trace(path)
    assert (t.addr[0], t.cycle[0], bool(t.is_write[0])) == (64, 5, False)


@pytest.mark.parametrize(("line", "pattern"), [
    ("0x10 READ", r"expected '0xADDR READ\|WRITE CYCLE'"),
    ("0xzz READ 1", r"bad address '0xzz'"),
    ("0x10 FETCH 1", r"request type must be READ or WRITE, not 'FETCH'"),
    ("0x10 READ -1", r"cycle must be a non-negative integer, not '-1'"),
])
def test_bad_lines_name_file_and_line(tmp_path, line, pattern):
    path = tmp_path / "bad.trace"
    path.write_text(f"0x0 READ 0\n{line}\n")
    with pytest.raises(InputError, match=rf"^.*bad\.trace: field 'line 2': {pattern}"):
        read_dram_trace(path)


def test_empty_and_missing(tmp_path):
    path = tmp_path / "empty.trace"
    path.write_text("# nothing\n")
    with pytest.raises(InputError, match=r"trace holds no requests$"):
        read_dram_trace(path)
    with pytest.raises(InputError, match=r"file does not exist$"):
        read_dram_trace(tmp_path / "nope.trace")


def test_unknown_format(tmp_path):
    with pytest.raises(ValueError, match=r"^fmt must be one of"):
        write_dram_trace(tmp_path / "x", np.array([0]), fmt="gem5")
