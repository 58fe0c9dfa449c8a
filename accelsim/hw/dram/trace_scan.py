"""One compiled pass over a plain DRAM trace: the fast path of :func:`accelsim.hw.dram.read_dram_trace`.

It takes the traces tools write (``accelsim run --dram-trace``, DRAMsim3's and Ramulator2's own):
ASCII words separated by spaces or tabs, lines ending in LF or CR-LF, blank lines, no comments.
At the first byte it does not expect it gives up, and the caller parses the file the general way,
which accepts more and names the first bad line; what it does take it reads as that parse does
(``tests/hw/test_dram_trace.py`` checks both agree). 2.97 M requests: 0.1 s where the general
parse takes 1 s (``benchmarks/bench_dram_trace.py``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

_MAX_DIGITS_HEX, _MAX_DIGITS_DEC = 15, 18  # digits that always fit in int64, as trace._MAX_DIGITS


@njit(cache=True, nogil=True)
def _word_end(b: np.ndarray, i: int) -> int:
    """Index after the word starting at ``i`` (it ends at a space, tab, CR, LF or the end)."""
    n = len(b)
    while i < n and b[i] != 32 and b[i] != 9 and b[i] != 10 and b[i] != 13:
        i += 1
    return i


@njit(cache=True, nogil=True)
def _number(b: np.ndarray, i: int, j: int, hex_ok: bool) -> int:
    """The non-negative integer in ``b[i:j]`` (decimal, or ``0x`` hex where ``hex_ok``), or -1 if not
    one the general parse reads alike."""
    base, limit = 10, _MAX_DIGITS_DEC
    if hex_ok and j - i > 2 and b[i] == 48 and (b[i + 1] | 0x20) == 120:  # 0x / 0X
        base, limit, i = 16, _MAX_DIGITS_HEX, i + 2
    if j - i < 1 or j - i > limit:
        return -1
    value = 0
    for k in range(i, j):
        c = b[k]
        if 48 <= c <= 57:
            d = c - 48
        elif base == 16 and 97 <= (c | 0x20) <= 102:
            d = (c | 0x20) - 87
        else:
            return -1
        value = value * base + d
    return value


@njit(cache=True, nogil=True)
def _kind(b: np.ndarray, i: int, j: int, read: np.ndarray, write: np.ndarray) -> int:
    """0 for the read word, 1 for the write word (upper case), -1 otherwise."""
    for k, word in enumerate((read, write)):
        if j - i == len(word):
            same = True
            for m in range(len(word)):
                if (b[i + m] & 0xDF) != word[m]:
                    same = False
                    break
            if same:
                return k
    return -1


@njit(cache=True, nogil=True)
def _gap(b: np.ndarray, i: int) -> int:
    """Index after the spaces and tabs at ``i``; -1 if there are none (words need one between)."""
    n, j = len(b), i
    while j < n and (b[j] == 32 or b[j] == 9):
        j += 1
    return j if j > i else -1


@njit(cache=True, nogil=True)
def scan(
    b: np.ndarray, lines: int, ramulator: bool, read: np.ndarray, write: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """(addresses, write flags, cycles, count) of the requests in ``b`` (at most ``lines``); count
    -1 where a byte breaks the plain form."""
    addr = np.empty(lines, np.int64)
    wr = np.empty(lines, np.bool_)
    cyc = np.zeros(lines, np.int64)
    n, i, k = len(b), 0, 0
    while i < n:
        c = b[i]
        if c == 32 or c == 9 or c == 10:
            i += 1
            continue
        if c == 13:
            if i + 1 < n and b[i + 1] == 10:
                i += 2
                continue
            return addr, wr, cyc, -1
        if k == lines:
            return addr, wr, cyc, -1
        j = _word_end(b, i)
        if ramulator:  # LD|ST 0xADDR
            kind = _kind(b, i, j, read, write)
            i = _gap(b, j)
            if kind < 0 or i < 0:
                return addr, wr, cyc, -1
            j = _word_end(b, i)
            a = _number(b, i, j, True)
            cycle = 0
        else:  # 0xADDR READ|WRITE CYCLE
            a = _number(b, i, j, True)
            i = _gap(b, j)
            if a < 0 or i < 0:
                return addr, wr, cyc, -1
            j = _word_end(b, i)
            kind = _kind(b, i, j, read, write)
            i = _gap(b, j)
            if kind < 0 or i < 0:
                return addr, wr, cyc, -1
            j = _word_end(b, i)
            cycle = _number(b, i, j, False)
        while j < n and (b[j] == 32 or b[j] == 9):
            j += 1
        if a < 0 or cycle < 0 or (j < n and b[j] != 10 and b[j] != 13):  # a bad word, or one more
            return addr, wr, cyc, -1
        addr[k], wr[k], cyc[k] = a, kind == 1, cycle
        k += 1
        i = j
    return addr, wr, cyc, k
