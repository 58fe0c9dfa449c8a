"""DRAM trace files: DRAMsim3 and Ramulator2 reading and writing, errors with line numbers; the vectorised
reader agrees with the line-by-line one."""

from __future__ import annotations

import numpy as np
import pytest

from accelsim.errors import InputError
from accelsim.hw.dram import read_dram_trace, trace, trace_scan, write_dram_trace
from accelsim.hw.dram.trace import _read_lines

pytestmark = pytest.mark.smoke  # part of the quick check: pytest -m smoke


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


@pytest.mark.parametrize(
    ("line", "pattern"),
    [
        ("0x10 READ", r"expected '0xADDR READ\|WRITE CYCLE'"),
        ("0xzz READ 1", r"bad address '0xzz'"),
        ("0x10 FETCH 1", r"request type must be READ or WRITE, not 'FETCH'"),
        ("0x10 READ -1", r"cycle must be a non-negative integer, not '-1'"),
    ],
)
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


def test_ramulator2_round_trip(tmp_path):
    path = tmp_path / "t.trace"
    addr, wr = np.array([0x20, 0, 1 << 40]), np.array([False, True, False])
    write_dram_trace(path, addr, is_write=wr, fmt="ramulator2")
    for fmt in (None, "ramulator2"):  # None: told by the first word
        t = read_dram_trace(path, fmt)
        assert (t.addr.tolist(), t.is_write.tolist(), t.cycle.tolist()) == (addr.tolist(), wr.tolist(), [0, 0, 0])


@pytest.mark.parametrize(
    ("line", "pattern"),
    [
        ("LD", r"expected 'LD\|ST 0xADDR', got 'LD'"),
        ("LD 0x1g", r"bad address '0x1g'"),
        ("MV 0x10", r"request type must be LD or ST, not 'MV'"),
    ],
)
def test_ramulator2_bad_lines(tmp_path, line, pattern):
    path = tmp_path / "bad.trace"
    path.write_text(f"LD 0x0\n{line}\n")
    with pytest.raises(InputError, match=rf"^.*bad\.trace: field 'line 2': {pattern}$"):
        read_dram_trace(path)


def random_requests(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    addr = rng.integers(0, 1 << 60, n) >> rng.integers(0, 60, n)  # 1 to 15 hex digits, 0 included
    return addr, rng.integers(0, 1 << 40, n) >> rng.integers(0, 40, n), rng.random(n) < 0.3


@pytest.mark.parametrize("fmt", ["dramsim3", "ramulator2"])
def test_vectorised_matches_line_by_line(tmp_path, monkeypatch, fmt):
    addr, cyc, wr = random_requests(2000, seed=1)
    path = tmp_path / "t.trace"
    write_dram_trace(path, addr, cyc, is_write=wr, fmt=fmt)
    lines = path.read_text().splitlines()
    assert lines[:3] == [
        f"0x{a:x} {'WRITE' if w else 'READ'} {c}" if fmt == "dramsim3" else f"{'ST' if w else 'LD'} 0x{a:x}"
        for a, c, w in zip(addr[:3], cyc[:3], wr[:3], strict=True)
    ]
    slow = _read_lines(path, lines, fmt)
    monkeypatch.setattr(trace, "_read_lines", None)  # the vectorised reader takes it all
    fast = read_dram_trace(path)
    for field in ("addr", "is_write", "cycle"):
        assert getattr(fast, field).tolist() == getattr(slow, field).tolist()
    assert fast.addr.tolist() == addr.tolist()


def test_spacing_comments_and_crlf(tmp_path, monkeypatch):
    # what the vectorised reader takes as it is: runs of spaces and tabs, comments, CR-LF, mixed bases
    monkeypatch.setattr(trace, "_read_lines", None)
    path = tmp_path / "t.trace"
    path.write_bytes(b"# head\r\n  0X1F\tread   7 # x\r\n\r\n31 WRITE 0012\n")
    t = read_dram_trace(path)
    assert (t.addr.tolist(), t.is_write.tolist(), t.cycle.tolist()) == ([31, 31], [False, True], [7, 12])


@pytest.mark.parametrize(
    ("bad", "pattern"),
    [
        ("0x10 READ", r"expected '0xADDR READ\|WRITE CYCLE', got '0x10 READ'"),
        ("0x10 READ 1 2", r"expected '0xADDR READ\|WRITE CYCLE', got '0x10 READ 1 2'"),
        ("0x10 FETCH 1", r"request type must be READ or WRITE, not 'FETCH'"),
        ("0x1_0 READX 1", r"request type must be READ or WRITE, not 'READX'"),  # 0x1_0: Python's int takes it
        ("0x8000000000000000 READ 1", r"address out of range '0x8000000000000000'"),
    ],
)
def test_bad_line_deep_in_a_long_trace(tmp_path, bad, pattern):
    """A vectorised parse that fails hands over to the line-by-line reader, which names the line."""
    addr, cyc, wr = random_requests(5000, seed=2)
    path = tmp_path / "long.trace"
    write_dram_trace(path, addr, cyc, is_write=wr)
    lines = path.read_text().splitlines()
    lines[4321] = bad
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=rf"^.*long\.trace: field 'line 4322': {pattern}$"):
        read_dram_trace(path)


def test_what_python_takes_the_vectorised_reader_hands_over(tmp_path):
    path = tmp_path / "t.trace"
    path.write_text("0x1_0 READ 1\n1_000 WRITE 2\n")
    t = read_dram_trace(path)
    assert (t.addr.tolist(), t.cycle.tolist()) == ([16, 1000], [1, 2])


def test_write_edges(tmp_path):
    path = tmp_path / "t.trace"
    assert write_dram_trace(path, np.array([(1 << 63) - 1, 0]), np.array([0, 10**18])) == 2
    assert path.read_text() == "0x7fffffffffffffff READ 0\n0x0 READ 1000000000000000000\n"
    assert write_dram_trace(path, np.zeros(0, np.int64)) == 0
    assert path.read_text() == ""


def _scan(data: bytes, fmt: str) -> tuple[list, list, list] | int:
    """The compiled pass's requests, or its count where it hands the file over (-1, or 0: none)."""
    b = np.frombuffer(data, np.uint8)
    kinds = trace._KINDS[fmt]
    size = trace_scan.capacity(len(b), 3 if fmt == "dramsim3" else 2, min(map(len, kinds)))
    addr, wr, cyc = np.empty(size, np.int64), np.empty(size, np.bool_), np.empty(size, np.int64)
    count = trace_scan.scan(b, fmt == "ramulator2", *(trace_scan.word_code(k) for k in kinds), addr, wr, cyc)
    return (addr[:count].tolist(), wr[:count].tolist(), cyc[:count].tolist()) if count > 0 else count


@pytest.mark.parametrize(("fmt", "line"), [("dramsim3", "0 READ 0"), ("ramulator2", "LD 0"), ("ramulator2", "ST 0")])
@pytest.mark.parametrize("lines", [1, 2, 7, 8, 9])
def test_capacity_holds_the_shortest_lines(fmt, line, lines):
    # the arrays the compiled pass fills are as long as the shortest lines can be many, no longer
    for end in ("", "\n"):
        data = ("\n".join([line] * lines) + end).encode()
        kinds = trace._KINDS[fmt]
        assert trace_scan.capacity(len(data), 3 if fmt == "dramsim3" else 2, min(map(len, kinds))) == lines
        assert len(_scan(data, fmt)[0]) == lines


@pytest.mark.parametrize("fmt", ["dramsim3", "ramulator2"])
def test_compiled_scan_reads_plain_traces_as_the_token_parse(tmp_path, fmt):
    addr, cyc, wr = random_requests(3000, seed=3)
    path = tmp_path / "t.trace"
    write_dram_trace(path, addr, cyc, is_write=wr, fmt=fmt)
    plain = path.read_bytes()
    lines = plain.decode().splitlines()
    # the spellings tools may write: CR-LF, tabs and runs of spaces, lower case, decimal addresses,
    # blank lines, no newline at the end
    decimal = [" ".join(str(int(w, 16) >> 8) if w.startswith("0x") else w for w in ln.split()) for ln in lines[1000:]]
    varied = "\r\n".join(ln.lower().replace(" ", "\t  ") for ln in lines[:1000]) + "\r\n\n" + "\n".join(decimal)
    for data in (plain, varied.encode()):
        want = trace._parse(trace._tokens(data), fmt)
        assert _scan(data, fmt) == (want.addr.tolist(), want.is_write.tolist(), want.cycle.tolist())


@pytest.mark.parametrize(
    "text",
    [
        "# a comment\n0x1 READ 1\n",
        "0x1 READ 1 # a comment\n",
        "0x1 READ\n",
        "0x1 READ 1 2\n",
        "0x1 READ 0x5\n",  # a hex cycle
        "0x1_0 READ 1\n",  # Python's int takes it
        "0x1000000000000000 READ 1\n",  # 16 hex digits: maybe past int64
        "0x1 READ 1\r",  # a bare CR
        "0x1\x0bREAD 1\n",  # whitespace to Python, not to the plain form
        "0x1 RE\u00c4D 1\n",
        "0x1 FETCH 1\n",
        "0x1 \x00READ 1\n",  # NUL upper-cases to itself
        "",
    ],
)
def test_compiled_scan_hands_over_what_is_not_plain(tmp_path, text):
    assert _scan(text.encode(), "dramsim3") in (-1, 0)
