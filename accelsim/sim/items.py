"""Work items for the event engine: a WorkPlan's requests, prefill ones split into query tiles,
with each unit's service cycles computed vectorized for one hardware config."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from accelsim.config.base import Strict
from accelsim.config.hardware import Hardware, MulArray
from accelsim.errors import InputError
from accelsim.hw.softmax import occupancy
from accelsim.hw.units import array_cycles, dram_cycles, softmax_params, topk_params
from accelsim.topk import TopKEngine, get_engine
from accelsim.units import ItemWork, Unit, stages
from accelsim.workplan import TOPK_KINDS, WorkPlan, request_bytes

if TYPE_CHECKING:
    import pandas as pd

TILE_QUERIES = 16  # prefill queries per work item: fine enough to pipeline, coarse enough to be fast
LINE_BANKS = 2  # SpAtten RTL SpAttenController.scala: maxFusedMatrix banks, a request takes a multiple of 2 lines
MAX_ALLOCATIONS = 16  # SpAtten RTL SpAttenController.scala: BufferManager.Config(numBufferLines, 16)
# SpAtten RTL SpAttenController.scala:141-144: ``req_fifo`` is ``depthReqFIFO = 16`` deep and new requests
# halt while ``req_fifo.io.availability < depthReqFIFO / 2``, i.e. while more than 8 entries are held (the
# other half stays free for requantize passes, which re-enter it ahead of new ones). A request is pushed
# as it leaves key-buffer allocation (:171, ``input_forked._1``) and popped at its requant decision
# (:151-153, joined with ``requantize_report``); a requantize pass pops and pushes it again, so it holds
# one entry until its last pass is scored. New requests enter while at most 8 are held: 9 in flight.
REQ_FIFO_DEPTH = 16
REQ_IN_FLIGHT = REQ_FIFO_DEPTH - REQ_FIFO_DEPTH // 2 + 1
# Not modelled: the RTL's requant FIFO (SpAttenController.scala:413-420, ``requant_fifo`` of
# ``sizeRequantBuffer = numBufferLines * 16`` beats of ``numSoftMaxUnit`` scores: 261 * 16 = 4176 beats
# with 196 KB of 512 x 12 b key lines), which holds scored beats after the requant decision (those behind
# a request awaiting its requantize pass, and any the value top-k has not yet taken) and back-pressures
# softmax and QxK when full. It fills, but it does not move cycles: with it prototyped in the event engine
# (an item reserving ceil(qk_rows / softmax.parallelism) beats before QxK, returning them when its value
# top-k engine takes its scores), 2949 of the 4608 items of the authors' pruned GPT-2 trace waited for
# room at the spatten point, yet the cycles were identical at the spatten point and five variants (top-k
# count 1 with one job in flight, top-k parallelism 4, 98 KB key buffer, 392 KB with 4 engines, DRAM
# outstanding 2) on both shipped traces (the dense one never filled it: at least 3920 beats free) and on
# three synthetic traces at six points: the beats it holds back wait for the value top-k engine, the
# critical unit, either way, so holding back the QxK pass behind them delays nothing that finishes later.


def topk_engine(hw: Hardware) -> TopKEngine:
    """The engine of ``hw.topk``; a bad name or bad parameters raise :class:`InputError`."""
    try:
        return get_engine(hw.topk.engine, topk_params(hw))
    except (KeyError, ValueError) as err:
        raise InputError(None, "hardware.topk", str(err).strip("'\"")) from None


def engine_roles(count: int) -> tuple[int, int]:
    """(token/head engines, value engines) of a design with ``count`` top-k engines.

    One engine takes every job; otherwise ``count // 2`` take token/head jobs and the rest (one
    more for odd counts) value jobs, each kind dealt round-robin over its engines.
    """
    return (1, 1) if count <= 1 else (count // 2, count - count // 2)


def round_robin(has_job: np.ndarray, engines: int) -> np.ndarray:
    """Engine (0 to ``engines - 1``) of each entry with a job, dealt in order; -1 where none."""
    has_job = np.asarray(has_job, bool)
    return np.where(has_job, (np.cumsum(has_job) - 1) % engines, -1)


def job_cycles(plan: WorkPlan, engine: TopKEngine,
               in_flight: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cycles of each top-k job: taking its scores in, then in the engine's selection stage after
    the last score, and in its output stage.

    With ``in_flight`` 1 a job holds the whole engine, so its output cycles count as selection.
    """
    t = plan.topk_table
    if not len(t):
        return np.zeros(0), np.zeros(0), np.zeros(0)
    n, k = t["n"], t["k"]
    total = engine.cycles(n, k, plan.pass_sizes, t["pass_start"],
                          t["pass_count"]).astype(np.float64)
    fill = np.where(k > 0, engine.input_cycles(n), 0).astype(np.float64)
    out = engine.output_cycles(n, k).astype(np.float64) if in_flight > 1 else np.zeros(len(t))
    return fill, total - out, out


def layer_gates(plan: WorkPlan, owner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each token/head top-k job (on a shared engine) sits between the items (``owner``: each
    item's request, ascending): the item it follows (its request's last item, whose scores it reads) and
    the item it gates (the first of the next layer group, which waits for it: the next layer's pruning
    needs this one's), -1 for value jobs and for jobs of the last group; the same for both timers."""
    t = plan.topk_table
    after = np.full(len(t), -1, np.int64)
    gated = np.full(len(t), -1, np.int64)
    jobs = np.flatnonzero(t["kind"] != TOPK_KINDS.index("value"))
    if len(jobs):
        last_item = np.searchsorted(owner, np.arange(len(plan)), side="right") - 1
        r = plan.req_table
        group = (r["step"].astype(np.int64) << 32) + r["layer"] * 2 + r["prefill"]
        starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
        owners = t["request"][jobs]
        after[jobs] = last_item[owners]
        nxt = np.searchsorted(starts, owners, side="right")
        has = nxt < len(starts)
        gated[jobs[has]] = np.searchsorted(owner, starts[nxt[has]])
    return after, gated


def buffer_lines(kb: float, unit: MulArray) -> int:
    """Lines of a K or V buffer of ``kb`` KB: each holds ``unit.multipliers`` elements of ``unit.bits``
    bits (SpAtten RTL SpAttenController.scala: ``Buffer`` of ``numBufferLines`` lines of
    ``numMultipliers`` 12-bit elements)."""
    return int(kb * 8192 // (unit.multipliers * unit.bits))


def request_lines(rows: np.ndarray, d: np.ndarray, unit: MulArray) -> np.ndarray:
    """Buffer lines holding ``rows`` vectors of length ``d``, as the RTL allocates and reads them:
    ``multipliers // d`` vectors per line, rounded up to a whole line per bank (SpAtten RTL
    SpAttenController.scala ``keymatNumLines`` / ``valmatNumLines``); QxK reads one line a cycle."""
    return np.ceil(array_cycles(rows, d, unit) / LINE_BANKS) * LINE_BANKS


@dataclass(frozen=True)
class Tiling:
    """How a plan's requests split into work items: prefill requests into tiles of queries."""

    owner: np.ndarray  # request of each item
    first: np.ndarray  # item is its request's first tile
    share: np.ndarray  # item's share of its request's work
    queries: np.ndarray  # [items + 1]: item i scores queries queries[i]:queries[i + 1] of rows_per_query()

    @classmethod
    def of(cls, plan: WorkPlan) -> Tiling:
        r = plan.req_table
        queries = r["queries"].astype(np.int64)
        ntiles = np.where(r["prefill"], np.ceil(queries / TILE_QUERIES), 1).astype(np.int64)
        ntiles = np.maximum(ntiles, 1)
        owner = np.repeat(np.arange(len(r)), ntiles)
        first = np.r_[True, owner[1:] != owner[:-1]] if len(owner) else np.zeros(0, bool)
        start = np.cumsum(queries) - queries
        tile = np.arange(len(owner)) - np.repeat(np.cumsum(ntiles) - ntiles, ntiles)
        bounds = np.r_[np.minimum(start[owner] + TILE_QUERIES * tile, (start + queries)[owner]), queries.sum()]
        return cls(owner, first, 1.0 / ntiles[owner], bounds.astype(np.int64))


def qk_lines(plan: WorkPlan, tiling: Tiling, unit: MulArray) -> tuple[np.ndarray, np.ndarray]:
    """(QxK, recompute) cycles of each item: the key lines each of its queries reads (``request_lines``
    of the query's scored rows), summed; a recompute pass re-reads them in the ratio of its request's
    ``requant_rows`` to ``qk_rows``."""
    r = plan.req_table
    per_query = plan.rows_per_query()
    d = np.repeat(r["d"].astype(np.float64), r["queries"].astype(np.int64))
    total = np.r_[0.0, np.cumsum(request_lines(per_query, d, unit))]
    qk = total[tiling.queries[1:]] - total[tiling.queries[:-1]]
    rows = r["qk_rows"].astype(np.float64)
    ratio = np.divide(r["requant_rows"].astype(np.float64), rows, out=np.zeros(len(r)), where=rows > 0)
    return qk, qk * ratio[tiling.owner]


def softmax_lines(plan: WorkPlan, tiling: Tiling, hw: Hardware) -> tuple[np.ndarray, np.ndarray]:
    """(softmax, recompute) cycles of each item: its queries (a request's spread evenly over its tiles),
    each a row of the request's mean scored rows, at the softmax RTL's pace (:func:`accelsim.hw.softmax.
    occupancy`: ``ceil(rows / parallelism)`` a row); a recompute pass in the ratio of its request's
    ``requant_rows`` to ``qk_rows``. Where the design's softmax has no RTL
    (:func:`accelsim.hw.units.softmax_params` None), ``parallelism`` scores a cycle."""
    r = plan.req_table
    rows = r["qk_rows"].astype(np.float64)
    ratio = np.divide(r["requant_rows"].astype(np.float64), rows, out=np.zeros(len(r)), where=rows > 0)
    params = softmax_params(hw)
    if params is None:
        sm = np.ceil(rows[tiling.owner] * tiling.share / hw.softmax.parallelism)
        return sm, np.ceil(sm * ratio[tiling.owner])
    queries = r["queries"].astype(np.float64)
    mean = np.ceil(np.divide(rows, queries, out=np.zeros(len(r)), where=queries > 0))
    sm = np.ceil(occupancy(queries[tiling.owner] * tiling.share, mean[tiling.owner], params))
    return sm, np.ceil(sm * ratio[tiling.owner])


@dataclass(frozen=True)
class Buffers:
    """Line allocations of the key and value buffers (SpAtten RTL BufferManager.scala): the first item
    of a request allocates its rows' ``request_lines`` (0: no allocation); the items that read them
    (its other tiles, and following requests of the same step and layer that fetch no rows of their
    own but read some, as the heads of a KV group) share it, and the last of them frees it."""

    k_alloc: np.ndarray  # key lines each item allocates
    k_free: np.ndarray  # lines the item frees (its allocation's last reader)
    v_alloc: np.ndarray
    v_free: np.ndarray
    k_by: np.ndarray  # item whose allocation each item frees (-1: none)
    v_by: np.ndarray

    @classmethod
    def of(cls, plan: WorkPlan, hw: Hardware, tiling: Tiling) -> Buffers:
        """Allocations of ``plan`` on ``hw``; a request needing more lines than a buffer holds raises
        :class:`InputError` (the RTL's BufferManager would wait for it forever)."""
        r = plan.req_table
        d = r["d"].astype(np.float64)
        group = (r["step"].astype(np.int64) << 32) + r["layer"].astype(np.int64) * 2 + r["prefill"]
        out = {}
        for side, fetched, read, unit, field_ in (
                ("k", "keys", "qk_rows", hw.qk, "key_kb"), ("v", "values", "pv_rows", hw.pv, "value_kb")):
            lines = request_lines(r[fetched].astype(np.float64), d, unit)
            cap = buffer_lines(getattr(hw.sram, field_), unit)
            if len(lines) and lines.max() > cap:
                worst = int(np.argmax(lines))
                raise InputError(None, f"hardware.sram.{field_}", (
                    f"a request's {int(r[fetched][worst])} {fetched} take {int(lines[worst])} lines of "
                    f"{unit.multipliers} x {unit.bits} b; the {getattr(hw.sram, field_):g} KB buffer holds {cap}"))
            alloc, free, by = _shares(tiling, lines, r[read] > 0, group)
            out.update({f"{side}_alloc": alloc, f"{side}_free": free, f"{side}_by": by})
        return cls(**out)


def _shares(tiling: Tiling, lines: np.ndarray, reads: np.ndarray,
            group: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lines allocated, lines freed, allocating item freed) per item; see :class:`Buffers`."""
    owner = tiling.owner
    idx = np.arange(len(owner))
    alloc = np.where(tiling.first, lines[owner], 0.0)
    holder = np.maximum.accumulate(np.where(alloc > 0, idx, -1)) if len(idx) else idx
    at = np.maximum(holder, 0)
    joins = (holder >= 0) & ((owner[at] == owner) | ((lines[owner] == 0) & reads[owner] &
                                                       (group[owner[at]] == group[owner])))
    members = idx[joins]
    last = members[np.r_[holder[members][1:] != holder[members][:-1], True]] if len(members) else members
    by = np.full(len(owner), -1)
    by[last] = holder[last]
    free = np.zeros(len(owner))
    free[last] = alloc[holder[last]]
    return alloc, free, by


def fetched_bytes(plan: WorkPlan, tiling: Tiling) -> dict[str, np.ndarray]:
    """Bytes each item fetches: ``side``, ``k`` (side bytes included), ``lsb`` and ``v``.

    A request's first item fetches them; its other query tiles read them from the buffer, where
    :class:`Buffers` keeps them (SpAtten RTL: the parts of a batch share one allocation, part 0
    fetches).
    """
    kbytes, lbytes, vbytes, sbytes = request_bytes(plan.req_table)

    def fetched(total: np.ndarray) -> np.ndarray:
        return np.where(tiling.first, total[tiling.owner], 0.0)

    side = fetched(sbytes)  # fetched with the keys (VQ ids, codebooks, scales)
    return {"side": side, "k": fetched(kbytes) + side, "lsb": fetched(lbytes), "v": fetched(vbytes)}


def item_columns(plan: WorkPlan, hw: Hardware, jobs: tuple[np.ndarray, ...]) -> dict[str, np.ndarray]:
    """One entry per work item of each of its bytes and per-unit cycles (names as used by the engine;
    a plug-in unit's ``unit_<name>``)."""
    r = plan.req_table
    n = len(r)
    d = r["d"].astype(np.float64)
    tiling = Tiling.of(plan)
    owner, share = tiling.owner, tiling.share
    b = fetched_bytes(plan, tiling)
    buf = Buffers.of(plan, hw, tiling)
    items = {"request": owner, "side_bytes": b["side"], "k_bytes": b["k"], "lsb_bytes": b["lsb"], "v_bytes": b["v"],
             "k_alloc": buf.k_alloc, "k_by": buf.k_by, "v_alloc": buf.v_alloc, "v_by": buf.v_by}
    for col in ("k_bytes", "lsb_bytes", "v_bytes"):
        items[col.replace("bytes", "dram")] = dram_cycles(items[col], hw.dram, hw.clock_ghz, hw.fetcher.ports)
    pv_rows = r["pv_rows"].astype(np.float64)[owner] * share
    items["qk"], items["rq_qk"] = qk_lines(plan, tiling, hw.qk)
    items["sm"], items["rq_sm"] = softmax_lines(plan, tiling, hw)
    items["pv"] = array_cycles(pv_rows, d[owner], hw.pv)
    t = plan.topk_table
    is_v = t["kind"] == TOPK_KINDS.index("value")
    for col, cycles in zip(("vtopk_in", "vtopk", "vtopk_out"), jobs, strict=True):
        vt = np.zeros(n)
        np.add.at(vt, t["request"][is_v], cycles[is_v])
        items[col] = vt[owner] * share
    if units := stages(hw):
        work = ItemWork.of(plan, tiling)
        for unit, params in units:
            items[f"unit_{unit.name}"] = unit.cycles(params, work)
            for way, moved in zip(("read", "write"), unit_dram_bytes(hw, unit, params, work), strict=True):
                if moved is not None:
                    items[f"unit_{unit.name}_{way}_bytes"] = moved
                    items[f"unit_{unit.name}_{way}"] = dram_cycles(moved, hw.dram, hw.clock_ghz, hw.fetcher.ports)
    return items


def build_items(plan: WorkPlan, hw: Hardware, jobs: tuple[np.ndarray, ...]) -> pd.DataFrame:
    """:func:`item_columns` as a DataFrame, one row per work item."""
    import pandas as pd

    return pd.DataFrame(item_columns(plan, hw, jobs))


def unit_dram_bytes(
    hw: Hardware, unit: Unit, params: Strict, work: ItemWork
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Bytes each item of a plug-in unit reads and writes in DRAM (``Unit.dram``); None for a way it
    never uses. InputError on the bank DRAM model, which times key and value fetches only."""
    moved = unit.dram(params, work)
    if moved is None:
        return None, None
    if hw.dram.model != "bandwidth":
        raise InputError(None, "hardware.dram.model", f"unit {unit.name!r} issues DRAM requests, which only the "
                         f"bandwidth DRAM model times; use model: bandwidth, not {hw.dram.model!r}")
    read, write = (np.asarray(m, np.float64) for m in moved)
    return (read if (read > 0).any() else None), (write if (write > 0).any() else None)
