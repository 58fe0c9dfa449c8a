"""Hostile and careless input: seeded mutations of every input kind, fed to its reader and to the CLI.

Each reader must either accept a mutant or refuse it with an InputError of one line; the CLI must exit 0,
or exit 2 with one line on stderr; never a traceback, a hang or another exception. Mutations mix byte
and text edits (flips, truncation, other encodings, NUL bytes), hostile tokens put where values go
(non-finite and huge numbers, booleans, strings, aliases, deep nesting) and structural edits (lines
dropped, repeated, swapped). ``FUZZ_CASES`` sets the mutants per kind (``benchmarks`` may run more).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import struct
from collections.abc import Callable
from pathlib import Path

import pytest

from accelsim.cli import main
from accelsim.config import PRESETS, load_hardware, load_policy
from accelsim.errors import InputError
from accelsim.hw.dram.trace import read_dram_trace
from accelsim.trace.format import read_trace, write_trace
from accelsim.trace.spatten_csv import read_spatten_csv
from accelsim.trace.synthetic import synthetic_trace
from tests.conftest import CSV_PRUNED

FUZZ_CASES = int(os.environ.get("FUZZ_CASES", "1000"))
CLI_CASES = 20  # mutants per kind also run through the CLI in-process
SEED = 18  # issue 18

TOKENS = [
    ".inf",
    "-.inf",
    ".nan",
    "inf",
    "nan",
    "1e999",
    "-1",
    "0",
    "-0.0",
    "1e20",
    "99999999999999999999999",
    "3.5",
    "true",
    "false",
    "null",
    "~",
    "'8'",
    '"x"',
    "[]",
    "{}",
    "[[[[[[",
    "*a",
    "&a x",
    "!!python/none",
    "0x10",
    "1_0",
    "\u00b2",
    "\u0661",
    "\u00e9",
    "\x00",
    "\t",
    "---",
    "- 1",
    ": :",
    "?",
    "%",
    "@",
    "`",
]
BYTES = [b"\x00", b"\xff", b"\xfe\xff", b"\xc3\x28", b"\xe9", b"\x80", b"\r", b"\n\n"]


def mutate_text(rng: random.Random, text: str) -> bytes:
    """One to three edits of ``text``: tokens at value positions, structural edits, then maybe bytes."""
    lines = text.splitlines()
    for _ in range(rng.randint(1, 3)):
        op = rng.randrange(7)
        i = rng.randrange(len(lines)) if lines else 0
        if op == 0 and lines:  # a value becomes a hostile token
            sep = rng.choice([":", ",", " "])
            head, _, _ = lines[i].rpartition(sep)
            lines[i] = f"{head}{sep} {rng.choice(TOKENS)}" if head else rng.choice(TOKENS)
        elif op == 1 and lines:  # a token inside a line
            at = rng.randrange(len(lines[i]) + 1)
            lines[i] = lines[i][:at] + rng.choice(TOKENS) + lines[i][at:]
        elif op == 2 and lines:
            del lines[i]
        elif op == 3 and lines:
            lines.insert(i, lines[rng.randrange(len(lines))])
        elif op == 4 and len(lines) > 1:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == 5:
            lines.insert(i, "x: " + "[" * rng.choice([10, 100, 5000]))
        else:
            lines = lines[: rng.randrange(len(lines) + 1)]
    data = "\n".join(lines).encode()
    r = rng.random()
    if r < 0.1:
        data = "\n".join(lines).encode(rng.choice(["utf-16", "latin-1", "utf-32"]), errors="replace")
    elif r < 0.25 and data:
        at = rng.randrange(len(data))
        data = data[:at] + rng.choice(BYTES) + data[at + 1 :]
    elif r < 0.3:
        data = data[: rng.randrange(len(data) + 1)]
    return data


def accepts_or_refuses(read: Callable[[Path], object], path: Path) -> bool:
    """``read(path)`` returns (False), or raises an InputError of one line (True); any other exception
    fails the test."""
    try:
        read(path)
    except InputError as err:
        assert "\n" not in str(err) and str(err)
        return True
    return False


def both_answers(refused: int) -> None:
    """The mutants were neither all accepted nor all refused: the readers saw both kinds of input."""
    assert 0 < refused < FUZZ_CASES, refused


def cli_answers(args: list[str]) -> None:
    """``accelsim ARGS`` in-process exits 0, or 2 with one line on stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(args)
            code = 0
        except SystemExit as exc:
            code = exc.code
    lines = err.getvalue().strip().splitlines()
    assert code in (0, 2), (args, code, err.getvalue()[-2000:])
    if code == 2:
        assert len(lines) == 1 and lines[0].startswith("accelsim: error: "), (args, lines)


def _fuzz(tmp_path: Path, base: str, suffix: str, read: Callable[[Path], object], seed: int) -> list[Path]:
    rng = random.Random(seed)
    kept = []
    refused = 0
    for n in range(FUZZ_CASES):
        path = tmp_path / f"m{n}{suffix}"
        path.write_bytes(mutate_text(rng, base))
        refused += accepts_or_refuses(read, path)
        if n < CLI_CASES:
            kept.append(path)
    both_answers(refused)
    return kept


def _config(path: Path) -> None:
    load_hardware(path)


def test_hardware_and_policy_configs(tmp_path):
    hw = (PRESETS / "hardware" / "spatten.yaml").read_text()
    policy = (PRESETS / "policy" / "spatten.yaml").read_text()
    (tmp_path / "hw").mkdir()
    (tmp_path / "policy").mkdir()
    kept = _fuzz(tmp_path / "hw", hw + "dram: &a {channels: 16}\nx: *a\n", ".yaml", _config, SEED)
    _fuzz(tmp_path / "policy", policy, ".yaml", load_policy, SEED + 1)
    for path in kept:  # the run fails on its config before it reads the (missing) workload
        cli_answers(["run", "-w", str(tmp_path / "none.csv"), "--hw", str(path), "--json"])


def test_spatten_csvs(tmp_path):
    lines = CSV_PRUNED.read_text().splitlines()
    base = "\n".join([*lines[:25], lines[-1]]) + "\n"  # 24 requests and the authors' config line
    kept = _fuzz(tmp_path, base, ".csv", read_spatten_csv, SEED + 2)
    for path in kept[:5]:  # a run of an accepted mutant simulates it: keep the CLI share small
        cli_answers(["run", "-w", str(path), "--policy", "spatten", "--json"])


def _trace_bytes(tmp_path: Path) -> tuple[bytes, dict]:
    path = tmp_path / "base.safetensors"
    write_trace(path, synthetic_trace(layers=2, heads=2, head_dim=4, prompt_len=8, decode_steps=2, seed=3))
    data = path.read_bytes()
    n = struct.unpack("<Q", data[:8])[0]
    return data[8 + n :], json.loads(data[8 : 8 + n])


HOSTILE_VALUES = [0, -1, 10**9, 10**30, 2**63, 1.5, True, "8", None, [], {}, 1e308, "inf"]


def test_safetensors_headers(tmp_path):
    body, header = _trace_bytes(tmp_path)
    rng = random.Random(SEED + 3)
    kept = []
    refused = 0
    for n in range(FUZZ_CASES):
        h = json.loads(json.dumps(header))
        meta = json.loads(h["__metadata__"]["meta"])
        for _ in range(rng.randint(1, 3)):
            op = rng.randrange(5)
            if op == 0:
                meta[rng.choice(["layers", "heads", "kv_heads", "head_dim", "prompt_len", "decode_steps"])] = (
                    rng.choice(HOSTILE_VALUES)
                )
            elif op == 1:
                meta[rng.choice(["causal", "masked", "model", "provenance"])] = rng.choice(HOSTILE_VALUES)
            elif op == 2:
                name = rng.choice([k for k in h if k != "__metadata__"])
                h[name]["shape"] = [rng.choice([0, 1, 2, 10**9]) for _ in h[name]["shape"]]
            elif op == 3:
                h["__metadata__"][rng.choice(["format", "version", "meta"])] = rng.choice(["", "2", "{", "x"])
            else:
                del h[rng.choice([k for k in h if k != "__metadata__"])]
        if isinstance(h["__metadata__"].get("meta"), str) and h["__metadata__"]["meta"].startswith('{"'):
            h["__metadata__"]["meta"] = json.dumps(meta)
        raw = json.dumps(h).encode()
        raw += b" " * (-len(raw) % 8)
        data = struct.pack("<Q", len(raw)) + raw + body
        if rng.random() < 0.2:  # a flipped byte or a cut file
            at = rng.randrange(len(data))
            data = data[:at] + (rng.choice(BYTES) if rng.random() < 0.5 else b"")
        path = tmp_path / f"m{n}.safetensors"
        path.write_bytes(data)
        refused += accepts_or_refuses(read_trace, path)
        if n < CLI_CASES:
            kept.append(path)
    both_answers(refused)
    for path in kept:
        cli_answers(["trace", "info", str(path), "--no-stats"])


def test_dram_traces(tmp_path):
    base = "\n".join(f"0x{64 * i:x} {'WRITE' if i % 5 == 0 else 'READ'} {3 * i}" for i in range(40)) + "\n"
    kept = _fuzz(tmp_path, base, ".trace", read_dram_trace, SEED + 4)
    for path in kept:
        cli_answers(["dram", "replay", str(path), "--json"])


@pytest.mark.parametrize("kind", ["hardware", "policy"])
def test_every_preset_still_loads(kind):
    load = load_hardware if kind == "hardware" else load_policy
    for path in sorted((PRESETS / kind).glob("*.yaml")):
        load(path)
