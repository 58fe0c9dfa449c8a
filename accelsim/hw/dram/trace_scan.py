"""One compiled pass over a plain DRAM trace: the fast path of :func:`accelsim.hw.dram.read_dram_trace`.

It takes the traces tools write (``accelsim run --dram-trace``, DRAMsim3's and Ramulator2's own):
ASCII words separated by spaces or tabs, lines ending in LF or CR-LF, blank lines, no comments.
At the first byte it does not expect it gives up, and the caller parses the file the general way,
which accepts more and names the first bad line; what it does take it reads as that parse does
(``tests/hw/test_dram_trace.py`` checks both agree). 2.97 M requests: 0.17 s of CPU (min of 5, shared
machine at load average 5) where the general parse takes 1 s (``benchmarks/bench_dram_trace.py``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

_MAX_DIGITS_HEX, _MAX_DIGITS_DEC = 15, 18  # digits that always fit in int64, as trace._MAX_DIGITS
_DIGIT = np.full(256, 255, np.uint8)  # value of each ASCII digit (hex included); 255: not a digit
_DIGIT[np.frombuffer(b"0123456789", np.uint8)] = np.arange(10)
_DIGIT[np.frombuffer(b"abcdef", np.uint8)] = _DIGIT[np.frombuffer(b"ABCDEF", np.uint8)] = np.arange(10, 16)


@njit(cache=True, inline="always")
def _digits(b: np.ndarray, i: int, base: int, limit: int) -> tuple[int, int]:
    """(value, end) of the digits in ``base`` at ``i``; value -1 if there are none, more than ``limit``,
    or a byte other than a space, tab, CR or LF follows them. Inlined where ``base`` is a constant, so
    that the compiler turns the multiplication into shifts and adds (a third of the pass's time)."""
    n, value, start = len(b), 0, i
    while i < n:
        d = _DIGIT[b[i]]
        if d >= base:
            break
        value = value * base + d
        i += 1
    if i == start or i - start > limit or (i < n and b[i] != 32 and b[i] != 9 and b[i] != 10 and b[i] != 13):
        return -1, i
    return value, i


@njit(cache=True, inline="always")
def _number(b: np.ndarray, i: int, hex_ok: bool) -> tuple[int, int]:
    """(value, end) of the non-negative integer at ``i`` (decimal, or ``0x`` hex where ``hex_ok``);
    value -1 if the word there is not one the general parse reads alike."""
    if hex_ok and i + 2 < len(b) and b[i] == 48 and (b[i + 1] | 0x20) == 120 and _DIGIT[b[i + 2]] < 16:
        return _digits(b, i + 2, 16, _MAX_DIGITS_HEX)
    return _digits(b, i, 10, _MAX_DIGITS_DEC)


def word_code(word: str) -> int:
    """``word`` (at most 7 ASCII letters) as :func:`_kind` reads it: its length, then its bytes in upper
    case, in one integer."""
    code = len(word)
    for c in word.upper().encode():
        code = code << 8 | c
    return code


@njit(cache=True, inline="always")
def _kind(b: np.ndarray, i: int, read: int, write: int) -> tuple[int, int]:
    """(kind, end) of the word at ``i`` (it ends at a space, tab, CR, LF or the end): kind 0 for the read
    word, 1 for the write word (codes of :func:`word_code`), -1 otherwise."""
    n, j, code = len(b), i, 0
    while j < n and b[j] != 32 and b[j] != 9 and b[j] != 10 and b[j] != 13:
        code = code << 8 | (b[j] & 0xDF)  # upper case, for letters
        j += 1
    if j - i > 7:
        return -1, j
    code |= (j - i) << (8 * (j - i))
    return (0 if code == read else 1 if code == write else -1), j


@njit(cache=True, inline="always")
def _gap(b: np.ndarray, i: int) -> int:
    """Index after the spaces and tabs at ``i``; -1 if there are none (words need one between)."""
    n, j = len(b), i
    while j < n and (b[j] == 32 or b[j] == 9):
        j += 1
    return j if j > i else -1


def capacity(size: int, words: int, kind_chars: int) -> int:
    """Most requests ``size`` bytes of a plain trace can hold, lines of ``words`` words whose request
    word has ``kind_chars`` characters at least: the others one character at least, a space between
    words, a line break after each line but the last."""
    shortest = kind_chars + 2 * (words - 1)
    return (size + 1) // (shortest + 1)


@njit(cache=True)
def scan(
    b: np.ndarray, ramulator: bool, read: int, write: int, addr: np.ndarray, wr: np.ndarray, cyc: np.ndarray
) -> int:
    """Fill ``addr``, ``wr`` and ``cyc`` (:func:`capacity` long) with the requests in ``b`` (``read``,
    ``write``: the request words' :func:`word_code`) and return their count; -1 where a byte breaks
    the plain form or the arrays are full."""
    lines = len(addr)
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
            return -1
        if k == lines:
            return -1
        if ramulator:  # LD|ST 0xADDR
            kind, j = _kind(b, i, read, write)
            i = _gap(b, j)
            if kind < 0 or i < 0:
                return -1
            a, j = _number(b, i, True)
            cycle = 0
        else:  # 0xADDR READ|WRITE CYCLE
            a, j = _number(b, i, True)
            i = _gap(b, j)
            if a < 0 or i < 0:
                return -1
            kind, j = _kind(b, i, read, write)
            i = _gap(b, j)
            if kind < 0 or i < 0:
                return -1
            cycle, j = _number(b, i, False)
        while j < n and (b[j] == 32 or b[j] == 9):
            j += 1
        if a < 0 or cycle < 0 or (j < n and b[j] != 10 and b[j] != 13):  # a bad word, or one more
            return -1
        addr[k], wr[k], cyc[k] = a, kind == 1, cycle
        k += 1
        i = j
    return k
