"""Phase 2, fast path for sweeps: the event engine's pipeline as a single-pass recurrence.

:class:`FastModel` binds one WorkPlan and precomputes everything that does not depend on the
hardware (per-item row counts and bytes, the gate structure, operation counts), so a hardware
point costs a few vectorized numpy passes for the per-item service times plus one loop over the
items that applies the event engine's (``accelsim.sim.engine``) overlap rules:

- the key buffer is a ring of lines (``accelsim.sim.items.Buffers``): items are granted it in
  order, an allocating one once the lines (and one of 16 allocations) it needs are free, i.e. once
  enough of the allocations before it are recycled, in allocation order; it issues its key fetch at
  once, and holds the QxK unit from the moment the unit is free until
  ``max(start + compute, fetch end + DRAM latency)`` with ``start = max(acquired, fetch start +
  latency)``; its lines are freed when it is scored;
- it is granted the key buffer only once at most ``REQ_IN_FLIGHT - 1`` of the items before it are
  unscored (the RTL's request FIFO, ``accelsim.sim.items.REQ_IN_FLIGHT``): since a recompute pass
  lets at most the next item by, the scoring order moves an item by at most one place, so the time
  is an order statistic of the three scored times around position ``p - REQ_IN_FLIGHT``;
- an LSB re-fetch pass re-queues for QxK behind whichever request came first, as the FIFO
  resource does (so the next item's key pass usually goes in between);
- scored items queue for the value top-k engines in order (dealt round-robin over them), then,
  again in order, are granted the value buffer as the key buffer, fetch their values and hold
  ProbxV the same way, plus the pipeline fill (then their value lines are freed); a top-k job's
  input hides under its scores' arrival only where its engine's selection stage was free by then,
  and the job holds that stage until its output stage is free, then runs its output pass there;
- DRAM is one FIFO server; value fetches are merged into the key stream by request time;
- plug-in units (``accelsim.units``) are FIFO servers at their place, taken in item order: after
  scoring (the value top-k asks once they are done) or after ProbxV, where an item goes through them
  as ProbxV lets go of it: ProbxV (or the unit before) holds it until the item ``queue`` places ahead
  has entered the unit, a unit's DRAM reads go right behind the item's value fetch and it waits for
  them, and its posted writes join the DRAM server by request time, as it enters the unit
  (:func:`_pv_reads`, :func:`_pv_units`, :func:`_pv_writes`); the kernel gets each one's rows of
  per-item cycles and DRAM read and write cycles, latency, place and queue (``xpar``) and has no
  per-unit code;
- token/head top-k jobs run on their engines (round-robin, input charged) once their request is
  scored; as in the event engine, only the first item of the next layer group waits for them, and
  it queues for the key buffer behind the items that never waited.

Differences from the event engine come only from event ties and from DRAM requests whose order
the single pass settles approximately; ``tests/sim/test_fast.py`` bounds them on the authors'
GPT-2 traces and synthetic traces.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numba import njit

from accelsim.config.hardware import Hardware
from accelsim.errors import InputError
from accelsim.hw.cost.actions import op_counts
from accelsim.hw.units import array_cycles, dram_cycles, dram_latency
from accelsim.sim.items import (
    MAX_ALLOCATIONS,
    REQ_IN_FLIGHT,
    Buffers,
    Tiling,
    buffer_lines,
    engine_roles,
    fetched_bytes,
    job_cycles,
    layer_gates,
    qk_lines,
    round_robin,
    softmax_lines,
    topk_engine,
    unit_dram_bytes,
)
from accelsim.topk import TopKEngine
from accelsim.units import PLACES, ItemWork, stages
from accelsim.units.base import MAX_STAGES
from accelsim.workplan import TOPK_KINDS, WorkPlan


@dataclass
class FastTimeline:
    """What the fast model computes: total cycles, per unit the cycles it worked, was stalled on input
    and blocked on output (as ``accelsim.sim.engine.Timeline``), DRAM bytes by class."""

    cycles: float
    busy: dict[str, float]
    stall: dict[str, float]
    blocked: dict[str, float]
    dram_bytes_by: dict[str, float]


class _Table:
    """Rows of one length, appended once and addressed by index: the per-unit columns that
    hardware points share, kept in one array so a batch passes them to the kernel whole."""

    def __init__(self, width: int, dtype: type) -> None:
        self._data = np.zeros((8, width), dtype)
        self.size = 0

    def add(self, *rows: np.ndarray) -> int:
        """Append ``rows``; the index of the first."""
        if self.size + len(rows) > len(self._data):
            grown = np.zeros((2 * (self.size + len(rows)), self._data.shape[1]), self._data.dtype)
            grown[: self.size] = self._data[: self.size]
            self._data = grown
        first = self.size
        for i, row in enumerate(rows):
            self._data[first + i] = row
        self.size += len(rows)
        return first

    @property
    def data(self) -> np.ndarray:
        return self._data[: self.size]


@dataclass(frozen=True)
class FastPoint:
    """One hardware point, ready for the kernel: where its per-item columns lie in the model's tables
    (``sel``, indexed by the column constants below) and its scalars (``par``, by LAT ... COUNT)."""

    sel: list[int]
    par: list[float]
    tables: int
    """Which generation of the model's tables ``sel`` points into (:attr:`FastModel.ROWS_KEPT`)."""
    units: tuple[str, ...] = ()
    """Its plug-in units (``accelsim.units``), in pipeline order."""
    stages: np.ndarray | None = None
    """Per plug-in unit (None: none): its row of per-item cycles in the model's per-item columns, its latency, its
    place (index in ``accelsim.units.PLACES``), its rows of per-item DRAM read and write cycles (-1: none), its
    input queue (0: unbounded); the kernel's ``xpar``."""
    unit_bytes: tuple[tuple[str, float], ...] = ()
    """DRAM bytes of each plug-in unit that issues DRAM requests."""


class FastModel:
    """One WorkPlan, ready to be timed on many hardware points.

    Parameters
    ----------
    plan : the WorkPlan; its hardware-independent facts are computed once here.
    """

    def __init__(self, plan: WorkPlan) -> None:
        self.plan = plan
        r = plan.requests
        n = len(r)
        self.tiling = tiling = Tiling.of(plan)
        owner, share = tiling.owner, tiling.share
        self.owner = owner
        self.d = r["d"].to_numpy(np.float64)[owner]
        self.bytes = fetched_bytes(plan, tiling)
        self.pv_rows = r["pv_rows"].to_numpy(np.float64)[owner] * share
        self.share = share
        t = plan.topk
        kind = t["kind"].to_numpy()
        self.is_value_job = kind == TOPK_KINDS.index("value")
        self.value_req = t["request"].to_numpy()[self.is_value_job]
        self.has_value_job = np.bincount(self.value_req, minlength=n)[owner] > 0
        self.has_quality = plan.has_quality
        self._gates()
        b = self.bytes
        side = float(b["side"].sum())
        self.dram_bytes_by = {
            "key": float(b["k"].sum()) - side,
            "key_lsb": float(b["lsb"].sum()),
            "value": float(b["v"].sum()),
            "side": side,
        }
        self._tables = -1
        self._new_tables()
        self._jobs: dict[tuple, tuple[np.ndarray, ...]] = {}
        self._lines: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._counts: dict[tuple, dict[str, float]] = {}
        self._engines: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._work: ItemWork | None = None  # plug-in units' per-item work, built on a point that has one
        self._unit_bytes: dict[tuple, tuple[np.ndarray | None, ...]] = {}  # plug-in units' DRAM read, write bytes

    ROWS_KEPT = 1024
    """Per-item rows the tables keep between :meth:`run_many` calls (37 MB on the GPT-2 trace's 4608
    items); past that they start afresh, and points prepared before must be prepared again."""

    def _new_tables(self) -> None:
        items, jobs = len(self.owner), len(self.plan.topk)
        self._tables += 1
        self._cols = _Table(items, np.float64)  # per-item columns (rows of the kernel's ``cols``)
        self._freed_rows = _Table(items + 1, np.float64)  # :func:`_freed` of each buffer shape, 4 rows
        self._job_rows = _Table(jobs, np.float64)  # per-job selection and output cycles
        self._job_engines = _Table(jobs, np.int64)  # per-job engine
        self._at: dict[tuple, int] = {}  # what a table's rows are for -> index of the first
        self._buffers: dict[tuple, tuple[int, int]] = {}  # buffer shape -> its rows in _cols, _freed_rows

    def _gates(self) -> None:
        """The event engine's gate structure: items ask for the key SRAM in index order, a gated
        one (and so every one behind it) only once its gate jobs are done."""
        items = len(self.owner)
        after, gated_by = layer_gates(self.plan, self.owner)
        self.job_pos = after
        self.job_ptr, self.job_idx = _csr(after, items)
        self.gate_ptr, self.gate_idx = _csr(gated_by, items)

    def job_cycles(self, engine: TopKEngine, in_flight: int) -> tuple[np.ndarray, ...]:
        """Input, selection (token/head jobs: input included, as they read it once scored) and
        output cycles of each top-k job on ``engine`` (``accelsim.sim.items.job_cycles``), then
        each item's share of its value jobs' ones."""
        key = (type(engine), engine.params, in_flight)
        if key not in self._jobs:
            jobs = job_cycles(self.plan, engine, in_flight)
            per_item = tuple(
                np.bincount(self.value_req, weights=c[self.is_value_job], minlength=len(self.plan))[self.owner]
                * self.share
                for c in jobs
            )
            select = np.where(self.is_value_job, jobs[1], jobs[0] + jobs[1])
            self._jobs[key] = (jobs[0], select, jobs[2], *per_item)
        return self._jobs[key]

    def engines(self, count: int) -> tuple[np.ndarray, np.ndarray]:
        """Engine of each token/head job and of each item's value jobs, with ``count`` engines."""
        if count not in self._engines:
            shared, value = engine_roles(count)
            self._engines[count] = (
                np.maximum(round_robin(~self.is_value_job, shared), 0),
                count - value + np.maximum(round_robin(self.has_value_job, value), 0),
            )
        return self._engines[count]

    def op_counts(self, engine: TopKEngine | None) -> dict[str, float]:
        key = (type(engine), engine.params) if engine is not None else None
        if key not in self._counts:
            self._counts[key] = op_counts(self.plan, engine)
        return self._counts[key]

    def qk_lines(self, hw: Hardware) -> tuple[np.ndarray, np.ndarray]:
        """QxK and recompute cycles of each item (``accelsim.sim.items.qk_lines``), cached per array."""
        if hw.qk.multipliers not in self._lines:
            self._lines[hw.qk.multipliers] = qk_lines(self.plan, self.tiling, hw.qk)
        return self._lines[hw.qk.multipliers]

    def _rows(self, key: tuple, make: Callable[[], tuple[np.ndarray, ...]], table: _Table | None = None) -> int:
        """Index of the first of the rows ``make()`` builds for ``key`` in ``table`` (default: the
        per-item columns), built and added once per key."""
        at = self._at.get(key)
        if at is None:
            at = self._at[key] = (self._cols if table is None else table).add(*make())
        return at

    def prepare(self, hw: Hardware, engine: TopKEngine | None = None) -> FastPoint:
        """Where ``hw``'s per-item service times lie in the model's tables (each computed once per
        setting of the units it depends on), and its scalars; InputError if it cannot run."""
        if hw.dram.model != "bandwidth":
            raise InputError(
                None,
                "hardware.dram.model",
                f"the fast timing model supports only the bandwidth DRAM model, not "
                f"{hw.dram.model!r}; use timing: event",
            )
        t, dram, qk, pv, sram = hw.topk, hw.dram, hw.qk, hw.pv, hw.sram
        count = max(t.count, 1)
        sel = [0] * N_SEL
        buf_key = (sram.key_kb, sram.value_kb, qk.multipliers, qk.bits, pv.multipliers, pv.bits)
        if buf_key not in self._buffers:
            buf = Buffers.of(self.plan, hw, self.tiling)  # raises when a request does not fit
            self._buffers[buf_key] = (
                self._cols.add(buf.k_alloc, buf.k_free, buf.v_alloc, buf.v_free),
                self._freed_rows.add(*_freed(buf)),
            )
        sel[K_ALLOC], sel[FREED] = self._buffers[buf_key]
        sel[K_FREE], sel[V_ALLOC], sel[V_FREE] = sel[K_ALLOC] + 1, sel[K_ALLOC] + 2, sel[K_ALLOC] + 3
        if t.count:
            engine = engine or topk_engine(hw)
            jkey = ("jobs", type(engine), engine.params, t.jobs_in_flight)
            sel[J_SELECT] = self._rows(jkey, lambda: self.job_cycles(engine, t.jobs_in_flight)[1:3], self._job_rows)
            sel[VTOPK_I] = self._rows(("value jobs", *jkey[1:]), lambda: self.job_cycles(engine, t.jobs_in_flight)[3:])
        else:
            sel[J_SELECT] = self._rows(("no jobs",), lambda: (np.zeros(len(self.plan.topk)),) * 2, self._job_rows)
            sel[VTOPK_I] = self._rows(("no value jobs",), lambda: (np.zeros(len(self.owner)),) * 3)
        sel[J_OUT] = sel[J_SELECT] + 1
        sel[VTOPK_C], sel[VTOPK_O] = sel[VTOPK_I] + 1, sel[VTOPK_I] + 2
        sel[J_ENGINE] = self._rows(("job engines", count), lambda: self.engines(count)[:1], self._job_engines)
        sel[VTOPK_E] = self._rows(("item engines", count), lambda: self.engines(count)[1:])
        sel[K_DRAM] = self._rows(
            ("dram", dram.transaction_bytes, dram.sustained_gbs, hw.clock_ghz, hw.fetcher.ports), lambda: self._dram(hw)
        )
        sel[L_DRAM], sel[V_DRAM] = sel[K_DRAM] + 1, sel[K_DRAM] + 2
        sel[QK_C] = self._rows(
            ("qk", qk.multipliers, hw.softmax.parallelism, hw.softmax.fifo_depth), lambda: self._qk(hw)
        )
        sel[RQ_C], sel[HAS_RQ] = sel[QK_C] + 1, sel[QK_C] + 2
        sel[PV_C] = self._rows(("pv", pv.multipliers), lambda: (array_cycles(self.pv_rows, self.d, pv),))
        par = [0.0] * N_PAR
        par[LAT] = dram_latency(hw)
        par[QK_FILL] = qk.latency + hw.softmax.latency + hw.fetcher.latency
        par[PV_FILL] = pv.latency + hw.fetcher.latency
        par[K_LINES], par[V_LINES] = buffer_lines(sram.key_kb, qk), buffer_lines(sram.value_kb, pv)
        par[SHARED_IS_VALUE] = float(t.count <= 1)
        par[COUNT] = count
        units = stages(hw)
        sel[UNITS] = len(units)
        if not units:
            return FastPoint(sel, par, self._tables)
        if len(units) > MAX_STAGES:
            raise InputError(None, "hardware", f"at most {MAX_STAGES} plug-in units, not {len(units)}")
        if self._work is None:
            self._work = ItemWork.of(self.plan, self.tiling)
        rows, moved = [], []
        for u, p in units:
            at = self._rows(("unit", u.name, p), lambda u=u, p=p: (u.cycles(p, self._work),))
            if (u.name, p) not in self._unit_bytes:
                self._unit_bytes[u.name, p] = unit_dram_bytes(hw, u, p, self._work)
            dram_rows, total = [-1, -1], 0.0
            for way, b in enumerate(self._unit_bytes[u.name, p]):  # read, write
                if b is not None:
                    key = ("unit dram", way, u.name, p, dram.transaction_bytes, dram.sustained_gbs, hw.clock_ghz)
                    dram_rows[way] = self._rows((*key, hw.fetcher.ports), lambda b=b: (self._dram_cycles(hw, b),))
                    total += float(b.sum())
            if dram_rows != [-1, -1]:
                moved.append((u.name, total))
            rows.append((at, u.latency(p), PLACES.index(u.follows), *dram_rows, u.queue(p)))
        names = tuple(u.name for u, _ in units)
        return FastPoint(sel, par, self._tables, names, np.array(rows, np.float64), tuple(moved))

    @staticmethod
    def _dram_cycles(hw: Hardware, nbytes: np.ndarray) -> np.ndarray:
        """DRAM cycles of transfers of ``nbytes``; -1 where nothing moves."""
        return np.where(nbytes > 0, dram_cycles(nbytes, hw.dram, hw.clock_ghz, hw.fetcher.ports), -1.0)

    def _dram(self, hw: Hardware) -> tuple[np.ndarray, ...]:
        """DRAM cycles of each item's key, LSB and value fetch; -1 where it fetches nothing."""
        return tuple(self._dram_cycles(hw, b) for b in (self.bytes["k"], self.bytes["lsb"], self.bytes["v"]))

    def _qk(self, hw: Hardware) -> tuple[np.ndarray, ...]:
        """QxK and recompute cycles of each item (softmax's included), and whether it recomputes."""
        qk, rq = self.qk_lines(hw)
        sm, rs = softmax_lines(self.plan, self.tiling, hw)
        return np.maximum(qk, sm), np.maximum(rq, rs), ((rq > 0) | (self.bytes["lsb"] > 0)).astype(np.float64)

    def run(self, hw: Hardware, engine: TopKEngine | None = None) -> FastTimeline:
        """Time the plan on ``hw`` (``engine``: the top-k engine of ``hw``, if already built)."""
        return self.run_many([self.prepare(hw, engine)])[0]

    def run_many(self, points: Sequence[FastPoint]) -> list[FastTimeline]:
        """Time the plan on every prepared point, in one kernel call."""
        if not points:
            return []
        if any(p.tables != self._tables for p in points):
            raise ValueError("a point was prepared before the model's tables started afresh; prepare it again")
        sel = np.array([p.sel for p in points], np.int64)
        par = np.array([p.par for p in points], np.float64)
        n = len(self.owner)
        cycles = np.zeros(len(points))
        nx = max(len(p.units) for p in points)
        xpar = np.full((len(points), nx, 6), -1.0)  # a point with fewer units: the rest at no place
        if nx:
            for i, p in enumerate(points):
                if p.units:
                    xpar[i, : len(p.units)] = p.stages
        busy = np.zeros((len(points), 3, len(BUSY_KEYS) + nx))
        _pipelines(
            self._cols.data,
            self._freed_rows.data,
            self._job_rows.data,
            self._job_engines.data,
            sel,
            par,
            xpar,
            self.job_ptr,
            self.job_idx,
            self.gate_ptr,
            self.gate_idx,
            self.job_pos,
            REQ_IN_FLIGHT,
            np.zeros((UNIT_T + 2 * nx, n)),
            np.zeros(ENG + 2 * int(par[:, COUNT].max())),
            np.zeros(len(self.plan.topk)),
            cycles,
            busy,
        )
        out = []
        for c, b, p in zip(cycles.tolist(), busy.tolist(), points, strict=True):
            keys = BUSY_KEYS + p.units
            work, stall, blocked = (dict(zip(keys, row, strict=False)) for row in b)
            by = {**self.dram_bytes_by, **dict(p.unit_bytes)}
            out.append(FastTimeline(cycles=c, busy=work, stall=stall, blocked=blocked, dram_bytes_by=by))
        if self._cols.size > self.ROWS_KEPT:
            self._new_tables()
        return out


def _csr(target: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Group indices i with ``target[i] >= 0`` by target position: (pointers [n+1], indices)."""
    idx = np.flatnonzero(target >= 0)
    idx = idx[np.argsort(target[idx], kind="stable")]
    ptr = np.searchsorted(target[idx], np.arange(n + 1)).astype(np.int64)
    return ptr, idx.astype(np.int64)


# slots of the kernel's state ``st``: when DRAM, QxK and ProbxV are next free, the latest finish, when
# the last value top-k result was taken, the value side's next position; per buffer (key, value) its
# lines, when the last item was granted it, the first position whose allocation may still hold lines,
# the next position whose freed lines are not yet recycled and when those before it were; the value
# side's next position once worked out (V_AT, -1 before) and its selection stage free, top-k result
# ready, cycles blocked and value buffer grant (:func:`_value_side`); the first position whose DRAM
# writes from the units after ProbxV are not yet on the DRAM server (:func:`_pv_writes`); per plug-in
# unit x at XST + 7x, its row of per-item cycles, latency, place, rows of per-item DRAM read and write
# cycles, input queue and when it is next free; then per top-k engine e, at ENG + 2e and
# ENG + 2e + 1, when its selection and output stages are next free
DRAM, QK, PV, END, VDONE, CURSOR = range(6)
S_LINES, S_GRANT, S_HEAD, S_NEXT, S_RECYCLED = 6, 8, 10, 12, 14
V_AT, V_FREE_AT, V_READY, V_BLOCKED, V_ACQUIRE, UCURSOR, XST = range(16, 23)
ENG = XST + 7 * MAX_STAGES
# rows of the per-item times ``times`` [3 + 2 x units, items]: key lines freed, scored, value lines freed,
# then per plug-in unit x when the item entered it (row UNIT_T + 2x) and when its DRAM read ended (+ 1)
RELEASE, SCORED, VRELEASE, UNIT_T = range(4)
# busy [3, 5 + units]: rows work, stalled on input, blocked on output; columns follow BUSY_KEYS, then
# the point's plug-in units
SHARED, VTOP, N_BUSY = 3, 4, 5
BUSY_KEYS = ("dram", "qk", "pv", "topk_shared", "topk_value")
# a point's ``sel``: its rows of the per-item ``cols`` (K_DRAM ... V_FREE), its first of four rows of
# ``freed`` (FREED), its rows of the per-job selection and output cycles (J_SELECT, J_OUT) and engines
# (J_ENGINE), its count of plug-in units (UNITS)
(
    K_DRAM,
    L_DRAM,
    V_DRAM,
    QK_C,
    RQ_C,
    HAS_RQ,
    VTOPK_C,
    PV_C,
    VTOPK_O,
    VTOPK_I,
    VTOPK_E,
    K_ALLOC,
    K_FREE,
    V_ALLOC,
    V_FREE,
    FREED,
    J_SELECT,
    J_OUT,
    J_ENGINE,
    UNITS,
    N_SEL,
) = range(21)
# a point's ``par``: DRAM latency, QxK and ProbxV pipeline fill, key and value buffer lines, whether
# one engine takes every job, engines
LAT, QK_FILL, PV_FILL, K_LINES, V_LINES, SHARED_IS_VALUE, COUNT, N_PAR = range(8)

# The kernel allocates nothing (the caller passes every array), so it runs without numba's reference
# counting (``_nrt=False``), as ``accelsim.hw.dram.controller.run``, and its helpers are inlined: with
# reference counting every helper call paid atomic updates per array argument (GPT-2 trace: 3 ms a
# point, 0.1 ms without; inlining the value side and the recompute pass too took another quarter off,
# for twice the compile time, paid once: ``cache=True``). Those two take what they read as one tuple
# (``ctx``), which inlining unpacks at compile time: no slower than passing its 15 members (measured).


@njit(cache=True, _nrt=False, inline="always")
def _consume(st: np.ndarray, busy: np.ndarray, unit: int, t: float, dur: float, c: float, lat: float) -> float:
    """End time of ``unit``, requested at ``t``, computing ``c`` cycles on data that a DRAM fetch of
    ``dur`` cycles (negative: none) issued at ``t`` streams in: ``c`` cycles of work, the rest of the
    time held stalled on input; as ``EventEngine._consume``."""
    t0 = max(t, st[unit])
    if dur < 0:
        e = t0 + c
    else:
        fs = max(t, st[DRAM])
        fe = fs + dur
        st[DRAM] = fe
        busy[0, DRAM] += dur
        e = max(max(t0, fs + lat) + c, fe + lat)
    st[unit] = e
    busy[0, unit] += c
    busy[1, unit] += e - t0 - c
    return e


@njit(cache=True, _nrt=False, inline="always")
def _topk_job(eng: np.ndarray, e: int, t: float, fill: float, select: float, out: float) -> tuple[float, float, float]:
    """(selection stage free, job done, cycles blocked on output) for a job asking engine ``e`` at
    ``t`` (no state changes; ``eng[2e]``, ``eng[2e + 1]``: when its selection and output stages
    free): its input ends at ``max(t, stage free + fill)``; it holds the selection stage until the
    output stage is free; as ``EventEngine._topk``."""
    selected = max(t, eng[2 * e] + fill) + select
    free = max(selected, eng[2 * e + 1]) if out > 0 else selected
    return free, free + out, free - selected


@njit(cache=True, _nrt=False, inline="always")
def _stages(
    st: np.ndarray, cols: np.ndarray, busy: np.ndarray, s: tuple, place: int, v: int, t: float, commit: bool
) -> float:
    """When position ``v``, arriving at ``t``, leaves the plug-in units at ``place`` (each taken in
    order for its cycles, then left after its latency); ``commit``: the units are taken (their next
    free time and work cycles updated), else only looked at; as ``EventEngine._through``."""
    for x in range(s[UNITS]):
        b = XST + 7 * x
        if st[b + 2] == place:
            c = cols[int(st[b]), v]
            start = max(t, st[b + 6])
            if commit:
                st[b + 6] = start + c
                busy[0, N_BUSY + x] += c
            t = start + c + st[b + 1]
    return t


@njit(cache=True, _nrt=False, inline="always")
def _pv_reads(
    st: np.ndarray, cols: np.ndarray, busy: np.ndarray, times: np.ndarray, s: tuple, v: int, t: float
) -> None:
    """Put position ``v``'s DRAM reads for the units after ProbxV on the DRAM server, asked for at ``t``
    right behind its value fetch; when each ends in ``times[UNIT_T + 2x + 1]``."""
    for x in range(s[UNITS]):
        b = XST + 7 * x
        r = int(st[b + 3])
        if st[b + 2] == 1 and r >= 0 and cols[r, v] >= 0:
            fe = max(t, st[DRAM]) + cols[r, v]
            st[DRAM] = fe
            busy[0, DRAM] += cols[r, v]
            times[UNIT_T + 2 * x + 1, v] = fe


@njit(cache=True, _nrt=False, inline="always")
def _pv_units(
    st: np.ndarray,
    cols: np.ndarray,
    busy: np.ndarray,
    times: np.ndarray,
    s: tuple,
    v: int,
    end: float,
    fill: float,
    lat: float,
) -> tuple[float, float]:
    """(when ProbxV lets go of position ``v``, when ``v`` leaves the last unit after ProbxV) for ``v``
    ending ProbxV's compute at ``end``, its pipeline ``fill`` cycles; the units take it in order, as
    ``EventEngine._consume`` handing over to ``EventEngine._through``. A unit with an input queue of q
    positions (st[b + 5] > 0) takes a position from the stage before it only once the position q places
    ahead has entered it (``times[UNIT_T + 2x]``); until then that stage holds it, blocked on output. It
    holds a position from ``t0 = max(arrival, free)`` for its cycles, and if it reads, until the read
    (:func:`_pv_reads`) ended ``lat`` cycles ago; a write is posted (:func:`_pv_writes`); then passes it
    on after its latency. The units after ProbxV are the last of ``s[UNITS]`` (pipeline order)."""
    h = end
    t = end + fill
    first = True
    for x in range(s[UNITS]):
        b = XST + 7 * x
        if st[b + 2] != 1:
            continue
        if first:
            q = int(st[b + 5])
            if q > 0 and v >= q:
                h = max(end, times[UNIT_T + 2 * x, v - q])
            t = h + fill
            first = False
        c = cols[int(st[b]), v]
        t0 = max(t, st[b + 6])
        times[UNIT_T + 2 * x, v] = t0
        e = t0 + c
        r = int(st[b + 3])
        if r >= 0 and cols[r, v] >= 0:
            e = max(e, times[UNIT_T + 2 * x + 1, v] + lat)
        busy[0, N_BUSY + x] += c
        busy[1, N_BUSY + x] += e - t0 - c
        out = e
        if x + 1 < s[UNITS]:
            q = int(st[b + 12])  # the next unit's queue
            if q > 0 and v >= q:
                out = max(e, times[UNIT_T + 2 * x + 2, v - q])
        busy[2, N_BUSY + x] += out - e
        st[b + 6] = out
        t = out + st[b + 1]
    return h, t


@njit(cache=True, _nrt=False, inline="always")
def _pv_writes(st: np.ndarray, cols: np.ndarray, busy: np.ndarray, times: np.ndarray, s: tuple, until: float) -> None:
    """Put the posted DRAM writes of the units after ProbxV on the DRAM server, position by position,
    for the positions through the units (before ``st[CURSOR]``) that entered the first of them by
    ``until``: so they join the key and value fetches by request time."""
    while int(st[UCURSOR]) < int(st[CURSOR]):
        u = int(st[UCURSOR])
        waited = False
        for x in range(s[UNITS]):
            b = XST + 7 * x
            if st[b + 2] != 1:
                continue
            if not waited:
                if times[UNIT_T + 2 * x, u] > until:
                    return
                waited = True
            w = int(st[b + 4])
            if w >= 0 and cols[w, u] >= 0:
                st[DRAM] = max(times[UNIT_T + 2 * x, u], st[DRAM]) + cols[w, u]
                busy[0, DRAM] += cols[w, u]
        st[UCURSOR] += 1


@njit(cache=True, _nrt=False, inline="always")
def _head(st: np.ndarray, freed: np.ndarray, cols: np.ndarray, s: tuple, p: int, side: int) -> int:
    """The first position whose allocation (on the key buffer, ``side`` 0, or the value buffer, 1)
    must still hold its lines for position ``p`` to get its own; moves that pointer on. ``freed``:
    lines freed and allocations ended before each position, per buffer (:func:`_freed`)."""
    h = int(st[S_HEAD + side])
    alloc = cols[s[K_ALLOC + 2 * side], p]
    if alloc > 0:
        f, cap = s[FREED] + 2 * side, st[S_LINES + side]
        while freed[f, p] - freed[f, h] + alloc > cap or freed[f + 1, p] - freed[f + 1, h] >= MAX_ALLOCATIONS:
            h += 1
        st[S_HEAD + side] = h
    return h


@njit(cache=True, _nrt=False, inline="always")
def _granted(
    st: np.ndarray, freed: np.ndarray, cols: np.ndarray, s: tuple, times: np.ndarray, p: int, t: float, side: int
) -> float:
    """When position ``p``, asking at ``t``, gets the key (``side`` 0) or value (1) buffer: after
    the position before it and, if it allocates, once the allocations freed before its
    :func:`_head` are recycled (in order: the latest of their release times)."""
    g = max(t, st[S_GRANT + side])
    if cols[s[K_ALLOC + 2 * side], p] > 0:
        h = _head(st, freed, cols, s, p, side)
        r = int(st[S_NEXT + side])
        recycled = st[S_RECYCLED + side]
        frees = s[K_FREE + 2 * side]
        while r < h:
            if cols[frees, r] > 0:
                recycled = max(recycled, times[RELEASE + 2 * side, r])
            r += 1
        st[S_NEXT + side] = r
        st[S_RECYCLED + side] = recycled
        g = max(g, recycled)
    return g


@njit(cache=True, _nrt=False, inline="always")
def _slot_free(times: np.ndarray, r: int) -> float:
    """The (r+1)-th earliest scored time among positions 0 .. r + slots - 1 (slots >= 3): with each
    position scored at most one place out of order, the middle one of ``r - 1 .. r + 1`` (the smaller
    of ``r .. r + 1`` for r = 0); an unscored position counts as infinite."""
    a, b = times[SCORED, r], times[SCORED, r + 1]
    lo, hi = min(a, b), max(a, b)
    if r == 0:
        return lo
    return min(max(lo, times[SCORED, r - 1]), hi)


@njit(cache=True, _nrt=False, inline="always")
def _run_jobs(
    st: np.ndarray,
    busy: np.ndarray,
    jobs: np.ndarray,
    engs: np.ndarray,
    done: np.ndarray,
    s: tuple,
    job_ptr: np.ndarray,
    job_idx: np.ndarray,
    p: int,
    t: float,
) -> None:
    """Queue the top-k jobs that follow position ``p`` (scored at ``t``) on their engine."""
    eng = st[ENG:]
    for q in range(job_ptr[p], job_ptr[p + 1]):
        j = job_idx[q]
        e = engs[s[J_ENGINE], j]
        select, out = jobs[s[J_SELECT], j], jobs[s[J_OUT], j]
        free, end, blocked = _topk_job(eng, e, t, 0.0, select, out)
        eng[2 * e] = free
        if out > 0:
            eng[2 * e + 1] = end
        busy[0, SHARED] += select  # the selection stage, as the event engine
        busy[2, SHARED] += blocked
        done[j] = end


@njit(cache=True, _nrt=False, inline="always")
def _value_side(
    ctx: tuple,
    until: float,
    stop: int,
) -> None:
    """Advance the value side through the scored items whose value fetch is requested by ``until``
    (and through position ``stop`` regardless).

    The next item's grant is worked out once and kept (``st[V_AT:XST]``) until it is taken: what it
    reads (its value engine, the value buffer, results taken before it) only the value side changes."""
    cols, s, times, st, busy, freed, jobs, engs, done, job_ptr, job_idx, lat, _, pv_fill, shared_is_value = ctx
    n = cols.shape[1]
    eng = st[ENG:]
    while int(st[CURSOR]) < n and times[SCORED, int(st[CURSOR])] < np.inf:
        v = int(st[CURSOR])
        vti, vtc, vto = cols[s[VTOPK_I], v], cols[s[VTOPK_C], v], cols[s[VTOPK_O], v]
        e = int(cols[s[VTOPK_E], v])
        if st[V_AT] == v:
            free, ready, blocked, acquire = st[V_FREE_AT], st[V_READY], st[V_BLOCKED], st[V_ACQUIRE]
        else:
            ready = free = times[SCORED, v]
            if s[UNITS]:  # looked at only: the units are taken once the item is (below)
                ready = free = _stages(st, cols, busy, s, 0, v, ready, False)
            blocked = 0.0
            if vtc + vto > 0:
                free, ready, blocked = _topk_job(eng, e, ready, vti, vtc, vto)
            ready = max(ready, st[VDONE])  # results are taken in order
            acquire = _granted(st, freed, cols, s, times, v, ready, 1)
            st[V_AT], st[V_FREE_AT], st[V_READY], st[V_BLOCKED], st[V_ACQUIRE] = v, free, ready, blocked, acquire
        if acquire > until and v >= stop:
            break
        if s[UNITS]:  # unit DRAM writes requested before this value fetch go first
            _pv_writes(st, cols, busy, times, s, acquire)
        st[VDONE] = ready
        st[S_GRANT + 1] = acquire
        if s[UNITS]:
            _stages(st, cols, busy, s, 0, v, times[SCORED, v], True)
        if vtc + vto > 0:
            eng[2 * e] = free
            if vto > 0:
                eng[2 * e + 1] = free + vto
            busy[0, VTOP] += vti + vtc
            busy[2, VTOP] += blocked
        end = _consume(st, busy, PV, acquire, cols[s[V_DRAM], v], cols[s[PV_C], v], lat)
        left = end + pv_fill  # when it leaves the datapath
        if s[UNITS]:
            _pv_reads(st, cols, busy, times, s, v, acquire)
            held, left = _pv_units(st, cols, busy, times, s, v, end, pv_fill, lat)
            st[PV] = held
            busy[2, PV] += held - end
            end = held
        times[VRELEASE, v] = end + pv_fill
        st[END] = max(st[END], left)
        if shared_is_value:
            _run_jobs(st, busy, jobs, engs, done, s, job_ptr, job_idx, v, times[SCORED, v])
        st[CURSOR] += 1
    if s[UNITS]:
        _pv_writes(st, cols, busy, times, s, until)


@njit(cache=True, _nrt=False, inline="always")
def _score(
    times: np.ndarray,
    st: np.ndarray,
    busy: np.ndarray,
    jobs: np.ndarray,
    engs: np.ndarray,
    done: np.ndarray,
    s: tuple,
    job_ptr: np.ndarray,
    job_idx: np.ndarray,
    p: int,
    e: float,
    qk_fill: float,
    shared_is_value: bool,
) -> None:
    """Position ``p`` ends QxK at ``e``; after the pipeline fill it is scored and frees its key lines."""
    times[RELEASE, p] = e + qk_fill
    times[SCORED, p] = e + qk_fill
    if not shared_is_value:
        _run_jobs(st, busy, jobs, engs, done, s, job_ptr, job_idx, p, e + qk_fill)


@njit(cache=True, _nrt=False, inline="always")
def _recompute(
    ctx: tuple,
    p: int,
    t: float,
) -> None:
    """The LSB re-fetch and recompute pass of position ``p``, requested at ``t``."""
    cols, s, times, st, busy, _, jobs, engs, done, job_ptr, job_idx, lat, qk_fill, _, shared_is_value = ctx
    _value_side(ctx, t, 0)
    e = _consume(st, busy, QK, t, cols[s[L_DRAM], p], cols[s[RQ_C], p], lat)
    _score(times, st, busy, jobs, engs, done, s, job_ptr, job_idx, p, e, qk_fill, shared_is_value)


@njit(cache=True, _nrt=False)
def _pipeline(
    cols: np.ndarray,
    s: tuple,
    times: np.ndarray,
    st: np.ndarray,
    busy: np.ndarray,
    freed: np.ndarray,
    jobs: np.ndarray,
    engs: np.ndarray,
    done: np.ndarray,
    job_ptr: np.ndarray,
    job_idx: np.ndarray,
    gate_ptr: np.ndarray,
    gate_idx: np.ndarray,
    job_pos: np.ndarray,
    lat: float,
    qk_fill: float,
    pv_fill: float,
    shared_is_value: bool,
    slots: int,
) -> float:
    """The single pass over items in the order they reach the key buffer, for one point; returns the
    cycles and leaves each unit's [work, stalled, blocked] cycles in ``busy``.

    ``s``: the point's ``sel``, as a tuple. ``cols[s[c], p]``: column c (K_DRAM ... V_FREE) of the
    p-th item's service times (DRAM cycles are negative when nothing is fetched). ``times``: zeros,
    but SCORED infinite. ``st``: zeros, but the buffers' lines (S_LINES). ``freed[s[FREED]:s[FREED] +
    4]``: :func:`_freed` of the buffers. ``jobs[s[J_SELECT]]``, ``jobs[s[J_OUT]]``: the token/head
    jobs' selection and output cycles, ``engs[s[J_ENGINE]]`` their engines; ``done``: when each job is
    done. Jobs ``job_idx[job_ptr[p]:job_ptr[p+1]]`` follow position p; the item at position p waits
    for jobs ``gate_idx[gate_ptr[p]:gate_ptr[p+1]]``; ``job_pos[j]`` is the position job j follows.
    ``shared_is_value``: one engine takes every job. ``slots``: items in flight between the key
    buffer grant and being scored (:func:`_slot_free`; at least 3).
    """
    n = cols.shape[1]
    # what the value side and the recompute pass read, passed on as one
    ctx = (cols, s, times, st, busy, freed, jobs, engs, done, job_ptr, job_idx, lat, qk_fill, pv_fill, shared_is_value)
    pending = -1  # position whose recompute pass is still queued for QxK
    pending_t = 0.0
    req = 0.0  # when the item may ask for the key buffer (its gate jobs are done)
    for p in range(n):
        if gate_ptr[p + 1] > gate_ptr[p]:
            # the jobs it waits for follow items that must be scored first
            if pending >= 0:
                _recompute(ctx, pending, pending_t)
                pending = -1
            if shared_is_value:
                stop = 0
                for q in range(gate_ptr[p], gate_ptr[p + 1]):
                    stop = max(stop, job_pos[gate_idx[q]] + 1)
                _value_side(ctx, -np.inf, stop)
            for q in range(gate_ptr[p], gate_ptr[p + 1]):
                req = max(req, done[gate_idx[q]])
        if pending >= 0 and cols[s[K_FREE], pending] > 0 and _head(st, freed, cols, s, p, 0) > pending:  # its lines
            _recompute(ctx, pending, pending_t)
            pending = -1
        k = _granted(st, freed, cols, s, times, p, req, 0)
        if p >= slots:
            k = max(k, _slot_free(times, p - slots))
        st[S_GRANT] = k
        if pending >= 0 and pending_t <= k:  # the previous item's recompute asked for QxK first
            _recompute(ctx, pending, pending_t)
            pending = -1
        _value_side(ctx, k, 0)
        e1 = _consume(st, busy, QK, k, cols[s[K_DRAM], p], cols[s[QK_C], p], lat)
        if pending >= 0:
            _recompute(ctx, pending, pending_t)
            pending = -1
        if cols[s[HAS_RQ], p] > 0:
            pending = p
            pending_t = e1
        else:
            _score(times, st, busy, jobs, engs, done, s, job_ptr, job_idx, p, e1, qk_fill, shared_is_value)
    if pending >= 0:
        _recompute(ctx, pending, pending_t)
    _value_side(ctx, np.inf, n)
    end = st[END]
    for j in range(done.shape[0]):
        end = max(end, done[j])
    return end


@njit(cache=True, _nrt=False)
def _pipelines(
    cols: np.ndarray,
    freed: np.ndarray,
    jobs: np.ndarray,
    engs: np.ndarray,
    sel: np.ndarray,
    par: np.ndarray,
    xpar: np.ndarray,
    job_ptr: np.ndarray,
    job_idx: np.ndarray,
    gate_ptr: np.ndarray,
    gate_idx: np.ndarray,
    job_pos: np.ndarray,
    slots: int,
    times: np.ndarray,
    st: np.ndarray,
    done: np.ndarray,
    cycles: np.ndarray,
    busy: np.ndarray,
) -> None:
    """:func:`_pipeline` for each point i (``sel[i]``, ``par[i]``, ``xpar[i]``: see :class:`FastPoint`), into
    ``cycles[i]`` and ``busy[i]`` (zeros); ``times``, ``st`` (at least ENG + 2 x engines) and
    ``done`` are scratch space."""
    for i in range(sel.shape[0]):
        times[:] = 0.0
        times[SCORED] = np.inf
        st[:] = 0.0
        st[V_AT] = -1.0
        st[S_LINES] = par[i, K_LINES]
        st[S_LINES + 1] = par[i, V_LINES]
        for x in range(xpar.shape[1]):
            for k in range(6):
                st[XST + 7 * x + k] = xpar[i, x, k]
        done[:] = 0.0
        r = sel[i]  # as a tuple, kept in registers rather than re-read after each store: a fifth faster
        s = (
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            r[5],
            r[6],
            r[7],
            r[8],
            r[9],
            r[10],
            r[11],
            r[12],
            r[13],
            r[14],
            r[15],
            r[16],
            r[17],
            r[18],
            r[19],
        )
        cycles[i] = _pipeline(
            cols,
            s,
            times,
            st,
            busy[i],
            freed,
            jobs,
            engs,
            done,
            job_ptr,
            job_idx,
            gate_ptr,
            gate_idx,
            job_pos,
            par[i, LAT],
            par[i, QK_FILL],
            par[i, PV_FILL],
            par[i, SHARED_IS_VALUE] > 0,
            slots,
        )


def _freed(buf: Buffers) -> np.ndarray:
    """[4, items + 1]: key lines freed and key allocations ended before each position, then the same
    for the value buffer (the kernel's ``freed``)."""
    freed = np.zeros((4, len(buf.k_free) + 1))
    for row, x in enumerate((buf.k_free, buf.k_free > 0, buf.v_free, buf.v_free > 0)):
        freed[row, 1:] = np.cumsum(x, dtype=np.float64)
    return freed


def warm() -> None:
    """Compile (or load from numba's on-disk cache) the kernel on a tiny input, so that worker
    processes started afterwards find it cached instead of each compiling it."""
    empty, two = np.zeros(0, np.int64), np.zeros(2, np.int64)
    sel = np.zeros((1, N_SEL), np.int64)
    _pipelines(
        np.zeros((V_FREE + 1, 1)),
        np.zeros((4, 2)),
        np.zeros((2, 0)),
        np.zeros((1, 0), np.int64),
        sel,
        np.zeros((1, N_PAR)),
        np.zeros((1, 0, 6)),
        two,
        empty,
        two,
        empty,
        empty,
        REQ_IN_FLIGHT,
        np.zeros((3, 1)),
        np.zeros(ENG + 2),
        np.zeros(0),
        np.zeros(1),
        np.zeros((1, 3, N_BUSY)),
    )
