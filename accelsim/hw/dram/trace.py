"""DRAM request traces: read and write DRAMsim3's and Ramulator2's formats.

DRAMsim3 (``dramsim3main CONFIG -t TRACE``): one request per line, ``0xADDR READ|WRITE CYCLE``.
Ramulator2 (``LoadStoreTrace`` frontend): ``LD 0xADDR`` or ``ST 0xADDR``, no cycle.

Both directions work on whole arrays. A plain file (what tools write) is mapped into memory and read
in one compiled pass (:mod:`accelsim.hw.dram.trace_scan`); any other is read as bytes and split into
tokens with numpy.
Writing lays every line out in a byte matrix. Only when the token parse finds something it does
not take (a malformed line, or a spelling such as ``1_000`` that Python's ``int`` would) are the
lines read one by one, which names the first bad line.
"""

from __future__ import annotations

import mmap
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from accelsim.errors import InputError
from accelsim.inputs import decode_utf8, read_bytes, require_file
from accelsim.outputs import atomic_file

TraceFormat = Literal["dramsim3", "ramulator2"]
TRACE_FORMATS: tuple[str, ...] = ("dramsim3", "ramulator2")
_SHAPE = {"dramsim3": "'0xADDR READ|WRITE CYCLE'", "ramulator2": "'LD|ST 0xADDR'"}
_KINDS = {"dramsim3": ("READ", "WRITE"), "ramulator2": ("LD", "ST")}  # (read, write), upper case
_DIGIT = np.full(256, 255, np.uint8)  # value of each ASCII digit (hex included); 255: not a digit
_DIGIT[np.frombuffer(b"0123456789", np.uint8)] = np.arange(10)
_DIGIT[np.frombuffer(b"abcdef", np.uint8)] = _DIGIT[np.frombuffer(b"ABCDEF", np.uint8)] = np.arange(10, 16)
_MAX_DIGITS = {16: 15, 10: 18}  # digits that always fit in int64; longer: the line-by-line reader
_PAD = 32  # zeros around the text, so that _PAD bytes from a word's start or before its end exist
_HEX = np.frombuffer(b"0123456789abcdef", np.uint8)


@dataclass(frozen=True)
class DramTrace:
    """Requests of a trace file: byte address, write flag, arrival cycle (int64 arrays)."""

    addr: np.ndarray
    is_write: np.ndarray
    cycle: np.ndarray

    def __len__(self) -> int:
        return len(self.addr)


def read_dram_trace(path: str | Path, fmt: TraceFormat | None = None) -> DramTrace:
    """Parse a DRAMsim3 or Ramulator2 (cycles 0) trace; ``fmt`` None: the first request line's first
    word tells (``LD``/``ST``: Ramulator2). Blank lines and ``#`` comments are skipped.

    Raises
    ------
    InputError
        Naming the file and line of the first malformed request.
    """
    path = Path(path)
    with _mapped(path) as mapped:
        trace = _scan(np.frombuffer(mapped, np.uint8), fmt) if mapped is not None else None
    if trace is not None:
        return trace
    data = read_bytes(path)
    tokens = _tokens(data)
    if tokens is not None:
        b, start, end, _ = tokens
        fmt = fmt or _detect(b[start[0] : end[0]].tobytes() if len(start) else b"")
        trace = _parse(tokens, fmt)
    if tokens is None or trace is None:
        lines = decode_utf8(data, path).splitlines()
        fmt = fmt or _detect(next((w for ln in lines for w in ln.split("#", 1)[0].split()[:1]), "").encode())
        trace = _read_lines(path, lines, fmt)
    if not len(trace):
        raise InputError(path, None, "trace holds no requests")
    return trace


@contextmanager
def _mapped(path: Path) -> Iterator[mmap.mmap | None]:
    """The input file (:func:`~accelsim.inputs.require_file`) mapped into memory, read-only: the kernel
    hands the compiled pass the page cache's pages, where reading would copy them (60 MB: 15,000
    page faults); None for a pipe or an empty file."""
    st = require_file(path)
    if not stat.S_ISREG(st.st_mode) or not st.st_size:
        yield None
        return
    try:
        with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            yield mapped
    except OSError as err:
        raise InputError(path, None, f"cannot read file ({err.strerror})") from None


def _scan(b: np.ndarray, fmt: TraceFormat | None) -> DramTrace | None:
    """The requests of a plain trace (bytes ``b``) in one compiled pass
    (:mod:`accelsim.hw.dram.trace_scan`); None where the file is not plain or holds none."""
    from accelsim.hw.dram.trace_scan import capacity, scan, word_code  # numba: on use only

    fmt = fmt or _detect(re.match(rb"[ \t\r\n]*([^ \t\r\n]*)", b).group(1))
    kinds = _KINDS[fmt]
    lines = capacity(len(b), 3 if fmt == "dramsim3" else 2, min(map(len, kinds)))
    addr, wr, cyc = np.empty(lines, np.int64), np.empty(lines, np.bool_), np.empty(lines, np.int64)
    count = scan(b, fmt == "ramulator2", *(word_code(k) for k in kinds), addr, wr, cyc)
    return DramTrace(addr[:count], wr[:count], cyc[:count]) if count > 0 else None


def _tokens(data: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """``data`` as bytes with its ``#`` comments blanked, between ``_PAD`` zeros, and the (start,
    end, line index) of each of its whitespace-separated words; None where a byte is not ASCII or is
    a control character other than tab, newline and CR-LF (Python's ``split`` and ``splitlines``
    know more whitespace and line breaks)."""
    raw = np.frombuffer(data, np.uint8)
    if len(raw) and raw.max() >= 0x80:
        return None
    plain = sum(np.count_nonzero(raw == ord(c)) for c in "\t\n\r")
    cr = np.count_nonzero(raw == ord("\r"))
    if np.count_nonzero(raw < 32) != plain or (cr and data.count(b"\r\n") != cr):
        return None
    if b"#" in data:
        data = re.sub(rb"#[^\n]*", lambda m: b" " * len(m.group()), data)
    pad = bytes(_PAD)
    b = np.frombuffer(pad + data + pad, np.uint8)
    sep = np.flatnonzero(b <= 32)  # whitespace and the padding
    before = np.flatnonzero(np.diff(sep) > 1)  # the separator before each word
    line = np.cumsum(b[sep] == ord("\n"))[before]
    return b, sep[before] + 1, sep[before + 1], line


def _detect(first: bytes) -> TraceFormat:
    """Ramulator2 where the first request's first word is ``LD`` or ``ST``."""
    return "ramulator2" if first.upper() in (b"LD", b"ST") else "dramsim3"


def _parse(tokens: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], fmt: TraceFormat) -> DramTrace | None:
    """The requests, or None where a line is not one the vectorised reader takes."""
    b, start, end, line = tokens
    width = 3 if fmt == "dramsim3" else 2
    if (
        len(start) % width
        or np.any(line[width - 1 :: width] != line[0::width])
        or np.any(line[width::width] == line[width - 1 : -1 : width])
    ):
        return None  # some line has another number of words
    window = np.lib.stride_tricks.sliding_window_view(b, _PAD)
    words = [(start[i::width], end[i::width]) for i in range(width)]
    k_start, k_end = words[1 if fmt == "dramsim3" else 0]
    kind = window[k_start, :5] & 0xDF  # upper case, for letters
    read, write = (
        (k_end - k_start == len(k)) & (kind[:, : len(k)] == np.frombuffer(k.encode(), np.uint8)).all(axis=1)
        for k in _KINDS[fmt]
    )
    if not (write | read).all():
        return None
    a_start, a_end = words[0 if fmt == "dramsim3" else 1]
    hexa = (a_end - a_start > 2) & (b[a_start] == ord("0")) & (b[a_start + 1] | 0x20 == ord("x"))
    addr = np.zeros(len(hexa), np.int64)
    for mask, skip, base in ((hexa, 2, 16), (~hexa, 0, 10)):
        value = _number(window, a_start[mask] + skip, a_end[mask], base)
        if value is None:
            return None
        addr[mask] = value
    cycle = _number(window, *words[2], 10) if fmt == "dramsim3" else np.zeros(len(addr), np.int64)
    return None if cycle is None else DramTrace(addr, write, cycle)


def _number(window: np.ndarray, start: np.ndarray, end: np.ndarray, base: int) -> np.ndarray | None:
    """The words, non-negative integers written in ``base``; None if one is empty, has another
    character or is too long to be sure it fits (``_MAX_DIGITS``)."""
    if not len(start):
        return np.zeros(0, np.int64)
    length = end - start
    width = int(length.max())
    if length.min() < 1 or width > _MAX_DIGITS[base]:
        return None
    digits = _DIGIT[window[end - width, :width]]  # each word right-aligned, after what came before it
    ours = np.arange(width - 1, -1, -1) < length[:, None]
    if np.any(ours & (digits >= base)):
        return None
    digits[~ours] = 0
    value = np.zeros(len(start), np.int64)
    for j in range(width):
        value *= base
        value += digits[:, j]
    return value


def _read_lines(path: Path, lines: list[str], fmt: TraceFormat) -> DramTrace:
    """Line by line, raising InputError at the first malformed request."""
    read, write = _KINDS[fmt]
    addr, wr, cyc = [], [], []
    for no, line in enumerate(lines, 1):
        text = line.split("#", 1)[0].split()
        if not text:
            continue
        where = f"line {no}"
        if len(text) != (3 if fmt == "dramsim3" else 2):
            raise InputError(path, where, f"expected {_SHAPE[fmt]}, got {line!r}")
        a, kind, c = text if fmt == "dramsim3" else (text[1], text[0], "0")
        try:
            if not a.isascii():
                raise ValueError(a)
            value = int(a, 16) if a.lower().startswith("0x") else int(a)
        except ValueError:
            raise InputError(path, where, f"bad address {a!r}") from None
        if not 0 <= value < 1 << 63:
            raise InputError(path, where, f"address out of range {a!r}")
        if kind.upper() not in (read, write):
            raise InputError(path, where, f"request type must be {read} or {write}, not {kind!r}")
        if not (c.isascii() and c.isdigit() and int(c) < 1 << 63):
            raise InputError(path, where, f"cycle must be a non-negative integer, not {c!r}")
        addr.append(value)
        wr.append(kind.upper() == write)
        cyc.append(int(c))
    return DramTrace(np.array(addr, dtype=np.int64), np.array(wr, dtype=bool), np.array(cyc, dtype=np.int64))


def write_dram_trace(
    path: str | Path,
    addr: np.ndarray,
    cycle: np.ndarray | None = None,
    *,
    is_write: np.ndarray | None = None,
    fmt: TraceFormat = "dramsim3",
) -> int:
    """Write requests as a DRAMsim3 or Ramulator2 trace; returns the number of lines.

    ``cycle`` (DRAMsim3 only, default 0) is the memory cycle each request may issue.
    """
    if fmt not in TRACE_FORMATS:
        raise ValueError(f"fmt must be one of {TRACE_FORMATS}, not {fmt!r}")
    addr = np.asarray(addr, dtype=np.int64)
    n = len(addr)
    wr = np.zeros(n, bool) if is_write is None else np.asarray(is_write, dtype=bool)
    if fmt == "dramsim3":
        cyc = np.zeros(n, np.int64) if cycle is None else np.asarray(cycle, dtype=np.int64)
        fields = [_choice(wr, "0x", "0x"), _digits(addr, 16), _choice(wr, " WRITE ", " READ "), _digits(cyc, 10)]
    else:
        fields = [_choice(wr, "ST 0x", "LD 0x"), _digits(addr, 16)]
    fields.append(_choice(wr, "\n", "\n"))
    chars = np.concatenate([c for c, _ in fields], axis=1)
    keep = np.concatenate([np.arange(c.shape[1]) >= c.shape[1] - used[:, None] for c, used in fields], axis=1)
    with atomic_file(path, "--dram-trace") as tmp:
        tmp.write_bytes(chars[keep].tobytes())
    return n


# a field of every line: [lines, width] bytes, right-aligned, and the bytes each line uses
Field = tuple[np.ndarray, np.ndarray]


def _choice(flag: np.ndarray, yes: str, no: str) -> Field:
    """``yes`` where ``flag``, else ``no``."""
    width = max(len(yes), len(no))
    rows = np.stack([np.frombuffer(t.encode().rjust(width), np.uint8) for t in (no, yes)])
    return rows[flag.astype(np.intp)], np.where(flag, len(yes), len(no))


def _digits(value: np.ndarray, base: int) -> Field:
    """Non-negative ``value`` in ``base`` (lower-case hex), without leading zeros."""
    width = len(np.base_repr(int(value.max(initial=0)), base))
    chars = np.empty((len(value), width), np.uint8)
    v = value.astype(np.uint64)
    used = np.ones(len(value), np.int64)
    for k in range(width):  # the k-th digit from the right
        v, d = np.divmod(v, np.uint64(base))
        chars[:, width - 1 - k] = _HEX[d]
        used[v > 0] = k + 2
    return chars, used
