"""Bank-aware DRAM service times for the event engine (``dram.model: bank``).

Every fetch a plan issues is turned into the DRAM accesses of the rows it reads (K MSB plane,
K LSB plane, values; :mod:`accelsim.hw.kv_layout`), and the whole stream runs through the
bank-aware model once, in issue order. A fetch's service time is how far it pushes the stream's
completion: the time from the previous fetch's last data to its own. The event engine then uses
those times in place of bytes / peak bandwidth, so row misses, conflicts and refresh slow it down.
Kept-row indices come from the plan when known; otherwise a seeded choice per request.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from accelsim.config.hardware import Hardware
from accelsim.errors import InputError
from accelsim.hw.dram.spec import DramSpec, load_dram
from accelsim.hw.kv_layout import KVLayout
from accelsim.workplan import WorkPlan

if TYPE_CHECKING:
    import pandas as pd

    from accelsim.hw.dram.model import DramStats

FETCHES = (("k", "key_msb", "keys"), ("lsb", "key_lsb", "lsb_keys"), ("v", "value", "values"))
SEED = 0x5EA7  # of the kept-row choice for plans that record only counts (request traces)


def fetch_addresses(plan: WorkPlan, items: pd.DataFrame, access_bytes: int
                    ) -> tuple[np.ndarray, np.ndarray, list[tuple[str, int]]]:
    """DRAM access addresses of every fetch, in issue order: (addresses, accesses per fetch, the
    (fetch key, item) slot of each fetch). Vectorized over fetches."""
    r = plan.requests
    layout = KVLayout(
        layers=int(r["layer"].max()) + 1, heads=int(r["head"].max()) + 1,
        max_tokens=int(r["context"].max()), d=int(r["d"].max()),
        key_msb_bits=int(r["key_bits"].max()), key_lsb_bits=int(r["lsb_bits"].max()),
        value_bits=int(r["value_bits"].max()), align=access_bytes,
    )
    req = items["request"].to_numpy()
    # fetches in issue order: per item, K then LSB then V, those that move bytes
    present = np.stack([items[f"{key}_bytes"].to_numpy() > 0 for key, _, _ in FETCHES], axis=1)
    if layout.key_lsb_bits == 0:
        present[:, 1] = False
    item, kind = np.nonzero(present)
    q = req[item]
    count = np.stack([r[col].to_numpy(np.int64) for _, _, col in FETCHES], axis=1)[q, kind]
    tokens, fetch = _rows(plan, q, kind, count, r["context"].to_numpy(np.int64))
    regions = [region for _, region, _ in FETCHES]
    row_bytes = np.array([layout.row_bytes(g) for g in regions], np.int64)[kind]
    base = (np.array([layout.region_base(g) for g in regions], np.int64)[kind]
            + (r["layer"].to_numpy(np.int64)[q] * layout.heads + r["head"].to_numpy(np.int64)[q])
            * np.array([layout.head_bytes(g) for g in regions], np.int64)[kind])
    start = base[fetch] + tokens * row_bytes[fetch]
    first = start // access_bytes
    span = (start + row_bytes[fetch] - 1) // access_bytes - first + 1
    blocks = np.repeat(first, span) + (np.arange(span.sum()) - np.repeat(np.cumsum(span) - span, span))
    owner = np.repeat(fetch, span)
    keep = np.r_[True, (blocks[1:] != blocks[:-1]) | (owner[1:] != owner[:-1])]
    lengths = np.bincount(owner[keep], minlength=len(q))
    slots = [(FETCHES[k][0], int(i)) for i, k in zip(item, kind, strict=True)]
    return blocks[keep] * access_bytes, lengths, slots


def _rows(plan: WorkPlan, q: np.ndarray, kind: np.ndarray, count: np.ndarray, context: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray]:
    """Token rows of each fetch, ascending within a fetch: (tokens, fetch index of each). The
    plan's recorded rows where it has them (LSBs: the first ``lsb_keys`` of the key rows), else a
    seeded uniform choice of ``count`` of the ``context`` rows per fetch."""
    fetch = np.repeat(np.arange(len(q)), count)
    offset = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    keys = plan.rows_of("keys")
    known = {0: keys, 1: keys, 2: plan.rows_of("values")}
    tokens = np.zeros(len(fetch), np.int64)
    for k, rows in known.items():
        sel = kind[fetch] == k  # grouped by fetch, offsets 0..count-1 in order
        if rows is not None:
            idx, start = rows
            tokens[sel] = idx[start[q[fetch[sel]]] + offset[sel]]
        else:
            tokens[sel] = _seeded_choice(np.flatnonzero(kind == k), count, context[q])
    return tokens, fetch


def _seeded_choice(ids: np.ndarray, count: np.ndarray, context: np.ndarray, chunk: int = 1 << 23) -> np.ndarray:
    """For fetches ``ids`` (ascending): ``count`` of ``context`` rows each, drawn without
    replacement by giving every row a random key (seeded), ascending within a fetch, concatenated."""
    rng = np.random.default_rng(SEED)
    out = []
    for part in np.array_split(ids, max(1, -(-int(context[ids].sum()) // chunk))):
        c = context[part]
        seg = np.repeat(np.arange(len(part)), c)
        pos = np.arange(c.sum()) - np.repeat(np.cumsum(c) - c, c)
        rank = np.empty(len(seg), np.int64)
        rank[np.argsort(seg + rng.random(len(seg)))] = pos  # segments stay apart: keys in [seg, seg + 1)
        out.append(pos[rank < np.repeat(count[part], c)])
    return np.concatenate(out) if out else np.zeros(0, np.int64)


def dram_spec(hw: Hardware) -> DramSpec:
    """The standard the bank model runs: ``dram.preset`` with ``dram.channels`` channels (HBM:
    channels of ``pseudo_channels`` pseudo-channels each), so a channel sweep moves both models."""
    try:
        spec = load_dram(hw.dram.preset)
    except (KeyError, ValueError) as err:
        raise InputError(None, "hardware.dram.preset", str(err)) from None
    n = hw.dram.channels
    if n & (n - 1):
        raise InputError(None, "hardware.dram.channels",
                         f"the bank model decodes the channel from address bits: a power of two, not {n}")
    return spec.with_channels(n)


def peak_bytes_per_cycle(hw: Hardware) -> float:
    """DRAM peak bytes per core cycle in the model ``hw`` runs: the bank model's standard (with
    ``dram.channels`` channels), else ``channels x channel_gbs``."""
    if hw.dram.model == "bank":
        return dram_spec(hw).peak_gbs / hw.clock_ghz
    return hw.bytes_per_cycle


def bank_service(plan: WorkPlan, items: pd.DataFrame, hw: Hardware
                 ) -> tuple[dict[str, np.ndarray], DramStats]:
    """Core-cycle service time of each item's K, LSB and V fetch, and the DRAM totals."""
    from accelsim.hw.dram.model import DramModel  # numba: on use only

    spec = dram_spec(hw)
    model = DramModel(spec, issue=hw.dram.issue, outstanding=hw.dram.outstanding)
    addr, lengths, slots = fetch_addresses(plan, items, spec.organisation.access_bytes)
    out = {key: np.zeros(len(items)) for key, _, _ in FETCHES}
    if not len(addr):
        return out, model.stats()
    res = model.simulate(addr)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    ends = np.maximum.accumulate(np.maximum.reduceat(res.completion, starts).astype(np.float64))
    service = np.diff(np.concatenate([[0.0], ends])) * spec.timing.tCK_ns * hw.clock_ghz
    for (key, i), t in zip(slots, service, strict=True):
        out[key][i] = t
    return out, model.stats()


def export_trace(path: Path, fmt: str, plan: WorkPlan, items: pd.DataFrame, hw: Hardware,
                 fetch_start: dict[tuple[str, int], float],
                 unit_moves: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> int:
    """Write the run's DRAM reads as a DRAMsim3 or Ramulator2 trace; returns the line count.

    Each access carries the memory cycle its fetch started in the event engine. ``unit_moves``: the
    plug-in units' transfers (``accelsim.units.Unit.dram``) as (start cycles, bytes, whether a write),
    laid out one after another above the KV cache's highest address.
    """
    from accelsim.hw.dram.trace import write_dram_trace

    spec = dram_spec(hw)
    access = spec.organisation.access_bytes
    addr, lengths, slots = fetch_addresses(plan, items, access)
    to_mem = 1.0 / (hw.clock_ghz * spec.timing.tCK_ns)
    start = np.array([fetch_start[s] * to_mem for s in slots])
    cycle = np.repeat(np.floor(start).astype(np.int64), lengths)
    is_write = np.zeros(len(addr), bool)
    if unit_moves is not None and len(unit_moves[0]):
        moved, nbytes, writes = unit_moves
        count = np.ceil(nbytes / access).astype(np.int64)
        base = int(addr.max()) + access if len(addr) else 0
        addr = np.r_[addr, base + access * np.arange(count.sum())]
        cycle = np.r_[cycle, np.repeat(np.floor(moved * to_mem).astype(np.int64), count)]
        is_write = np.r_[is_write, np.repeat(writes, count)]
    order = np.argsort(cycle, kind="stable")
    return write_dram_trace(path, addr[order], cycle[order], is_write=is_write[order], fmt=fmt)
