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
- an LSB re-fetch pass re-queues for QxK behind whichever request came first, as the FIFO
  resource does (so the next item's key pass usually goes in between);
- scored items queue for the value top-k engines in order (dealt round-robin over them), then,
  again in order, are granted the value buffer as the key buffer, fetch their values and hold
  ProbxV the same way, plus the pipeline fill (then their value lines are freed); a top-k job's
  input hides under its scores' arrival only where its engine's selection stage was free by then,
  and the job holds that stage until its output stage is free, then runs its output pass there;
- DRAM is one FIFO server; value fetches are merged into the key stream by request time;
- token/head top-k jobs run on their engines (round-robin, input charged) once their request is
  scored; as in the event engine, only the first item of the next layer group waits for them, and
  it queues for the key buffer behind the items that never waited.

Differences from the event engine come only from event ties and from DRAM requests whose order
the single pass settles approximately; ``tests/sim/test_fast.py`` bounds them on the authors'
GPT-2 traces and synthetic traces.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from accelsim.config.hardware import Hardware
from accelsim.errors import InputError
from accelsim.hw.cost.actions import op_counts
from accelsim.hw.units import array_cycles, dram_cycles, dram_latency
from accelsim.sim.items import (
    MAX_ALLOCATIONS,
    Buffers,
    Tiling,
    buffer_lines,
    engine_roles,
    fetched_bytes,
    job_cycles,
    qk_lines,
    round_robin,
    topk_engine,
)
from accelsim.topk import TopKEngine
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
        self.qk_rows = r["qk_rows"].to_numpy(np.float64)[owner] * share
        self.bytes = fetched_bytes(plan, tiling)
        self.rq_rows = r["requant_rows"].to_numpy(np.float64)[owner] * share
        self.pv_rows = r["pv_rows"].to_numpy(np.float64)[owner] * share
        self.share = share
        t = plan.topk
        kind = t["kind"].to_numpy()
        self.is_value_job = kind == TOPK_KINDS.index("value")
        self.value_req = t["request"].to_numpy()[self.is_value_job]
        self.has_value_job = np.bincount(self.value_req, minlength=n)[owner] > 0
        self.has_quality = plan.has_quality
        self._gates(n)
        self._jobs: dict[tuple, tuple[np.ndarray, ...]] = {}
        self._lines: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._buffers: dict[tuple, Buffers] = {}
        self._counts: dict[tuple, dict[str, float]] = {}
        self._engines: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def _gates(self, n: int) -> None:
        """The event engine's gate structure: items ask for the key SRAM in index order, a gated
        one (and so every one behind it) only once its gate jobs are done."""
        items = len(self.owner)
        t = self.plan.topk
        after = np.full(len(t), -1, np.int64)  # item each shared-engine job follows
        gated_by = np.full(len(t), -1, np.int64)  # item that waits for each job (-1: none)
        jobs = np.flatnonzero(~self.is_value_job)
        if len(jobs):
            last_item = np.searchsorted(self.owner, np.arange(n), side="right") - 1
            r = self.plan.requests
            group = (r["step"].to_numpy().astype(np.int64) << 32) + r["layer"].to_numpy() * 2 + \
                r["prefill"].to_numpy()
            starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
            owners = t["request"].to_numpy()[jobs]
            after[jobs] = last_item[owners]
            nxt = np.searchsorted(starts, owners, side="right")
            has = nxt < len(starts)
            gated_by[jobs[has]] = np.searchsorted(self.owner, starts[nxt[has]])
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
            per_item = tuple(np.bincount(self.value_req, weights=c[self.is_value_job],
                                         minlength=len(self.plan))[self.owner] * self.share for c in jobs)
            select = np.where(self.is_value_job, jobs[1], jobs[0] + jobs[1])
            self._jobs[key] = (jobs[0], select, jobs[2], *per_item)
        return self._jobs[key]

    def engines(self, count: int) -> tuple[np.ndarray, np.ndarray]:
        """Engine of each token/head job and of each item's value jobs, with ``count`` engines."""
        if count not in self._engines:
            shared, value = engine_roles(count)
            self._engines[count] = (np.maximum(round_robin(~self.is_value_job, shared), 0),
                                    count - value + np.maximum(round_robin(self.has_value_job, value), 0))
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

    def buffers(self, hw: Hardware) -> Buffers:
        """Buffer allocations of each item (``accelsim.sim.items.Buffers``), cached per buffer shape."""
        key = (hw.sram.key_kb, hw.sram.value_kb, hw.qk.multipliers, hw.qk.bits, hw.pv.multipliers, hw.pv.bits)
        if key not in self._buffers:
            self._buffers[key] = Buffers.of(self.plan, hw, self.tiling)
        return self._buffers[key]

    def run(self, hw: Hardware, engine: TopKEngine | None = None) -> FastTimeline:
        """Time the plan on ``hw`` (``engine``: the top-k engine of ``hw``, if already built)."""
        if hw.dram.model != "bandwidth":
            raise InputError(None, "hardware.dram.model",
                             f"the fast timing model supports only the bandwidth DRAM model, not "
                             f"{hw.dram.model!r}; use timing: event")
        engine = engine or topk_engine(hw)
        count = max(hw.topk.count, 1)
        if hw.topk.count:
            jobs, jobs_out, vt_in, vt, vt_out = self.job_cycles(engine, hw.topk.jobs_in_flight)[1:]
        else:
            jobs = jobs_out = np.zeros(len(self.plan.topk))
            vt_in = vt = vt_out = np.zeros(len(self.owner))
        job_engine, item_engine = self.engines(count)
        b = self.bytes
        kb, lb, vb = b["k"], b["lsb"], b["v"]
        buf = self.buffers(hw)

        def dram(b: np.ndarray) -> np.ndarray:
            return dram_cycles(b, hw.dram, hw.clock_ghz, hw.fetcher.ports)

        qk, rq = self.qk_lines(hw)
        sm = np.ceil(self.qk_rows / hw.softmax.parallelism)
        rs = np.ceil(self.rq_rows / hw.softmax.parallelism)
        rows = np.empty((len(self.owner), 15))
        rows[:, K_DRAM] = np.where(kb > 0, dram(kb), -1.0)
        rows[:, L_DRAM] = np.where(lb > 0, dram(lb), -1.0)
        rows[:, V_DRAM] = np.where(vb > 0, dram(vb), -1.0)
        rows[:, QK_C] = np.maximum(qk, sm)
        rows[:, RQ_C] = np.maximum(rq, rs)
        rows[:, HAS_RQ] = (rq > 0) | (lb > 0)
        rows[:, VTOPK_C] = vt
        rows[:, VTOPK_O] = vt_out
        rows[:, VTOPK_I] = vt_in
        rows[:, PV_C] = array_cycles(self.pv_rows, self.d, hw.pv)
        rows[:, VTOPK_E] = item_engine
        rows[:, K_ALLOC] = buf.k_alloc
        rows[:, K_FREE] = buf.k_free
        rows[:, V_ALLOC] = buf.v_alloc
        rows[:, V_FREE] = buf.v_free
        cycles, busy = _pipeline(
            rows, jobs, jobs_out, job_engine, self.job_ptr, self.job_idx, self.gate_ptr, self.gate_idx,
            self.job_pos, count, float(dram_latency(hw)),
            float(hw.qk.latency + hw.softmax.latency + hw.fetcher.latency),
            float(hw.pv.latency + hw.fetcher.latency), hw.topk.count <= 1,
            _buffer_state(buf, buffer_lines(hw.sram.key_kb, hw.qk), buffer_lines(hw.sram.value_kb, hw.pv)))
        side = float(b["side"].sum())
        by = {"key": float(kb.sum()) - side, "key_lsb": float(lb.sum()), "value": float(vb.sum()),
              "side": side}
        work, stall, blocked = (dict(zip(BUSY_KEYS, row, strict=True)) for row in busy.tolist())
        return FastTimeline(cycles=float(cycles), busy=work, stall=stall, blocked=blocked, dram_bytes_by=by)


def _buffer_state(buf: Buffers, key_lines: int, value_lines: int) -> np.ndarray:
    """The kernel's initial buffer state ``buf`` (see BFREED ... BRECYCLE)."""
    state = np.zeros((12, len(buf.k_free) + 1))
    for row, x in enumerate((buf.k_free, buf.k_free > 0, buf.v_free, buf.v_free > 0)):
        state[BFREED + row, 1:] = np.cumsum(x, dtype=np.float64)
    state[BCAP:BCAP + 2, 0] = key_lines, value_lines
    return state


def _csr(target: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Group indices i with ``target[i] >= 0`` by target position: (pointers [n+1], indices)."""
    idx = np.flatnonzero(target >= 0)
    idx = idx[np.argsort(target[idx], kind="stable")]
    ptr = np.searchsorted(target[idx], np.arange(n + 1)).astype(np.int64)
    return ptr, idx.astype(np.int64)


# slots of the kernel's ``clock`` (units' free times, the latest finish, the time the last value
# top-k result was taken) and columns of its ``busy`` array [3, 5] (rows: work, stalled on input,
# blocked on output; columns follow BUSY_KEYS)
DRAM, QK, PV, END, VDONE = range(5)
# rows of the kernel's buffer state ``buf`` [12, items + 1], key buffer then value buffer: lines freed
# and allocations ended before each position (prefix sums), the lines ([., 0]), when the last item was
# granted it ([., 0]), the first position whose allocation may still hold lines ([., 0]), the next
# position whose freed lines are not yet recycled ([., 0]) and when those before it were ([., 1])
BFREED, BCAP, BGRANT, BHEAD, BRECYCLE = 0, 4, 6, 8, 10
SHARED, VTOP = 3, 4  # busy slots of the top-k roles
BUSY_KEYS = ("dram", "qk", "pv", "topk_shared", "topk_value")
# columns of the kernel's per-item rows
(K_DRAM, L_DRAM, V_DRAM, QK_C, RQ_C, HAS_RQ, VTOPK_C, PV_C, VTOPK_O, VTOPK_I, VTOPK_E,
 K_ALLOC, K_FREE, V_ALLOC, V_FREE) = range(15)


@njit(cache=True)
def _consume(clock: np.ndarray, busy: np.ndarray, unit: int, t: float, dur: float, c: float,
             lat: float) -> float:
    """End time of ``unit``, requested at ``t``, computing ``c`` cycles on data that a DRAM fetch of
    ``dur`` cycles (negative: none) issued at ``t`` streams in: ``c`` cycles of work, the rest of the
    time held stalled on input; as ``EventEngine._consume``."""
    t0 = max(t, clock[unit])
    if dur < 0:
        e = t0 + c
    else:
        fs = max(t, clock[DRAM])
        fe = fs + dur
        clock[DRAM] = fe
        busy[0, DRAM] += dur
        e = max(max(t0, fs + lat) + c, fe + lat)
    clock[unit] = e
    busy[0, unit] += c
    busy[1, unit] += e - t0 - c
    return e


@njit(cache=True)
def _topk_job(eng: np.ndarray, e: int, t: float, fill: float, select: float,
              out: float) -> tuple[float, float, float]:
    """(selection stage free, job done, cycles blocked on output) for a job asking engine ``e`` at
    ``t`` (no state changes; ``eng[2e]``, ``eng[2e + 1]``: when its selection and output stages
    free): its input ends at ``max(t, stage free + fill)``; it holds the selection stage until the
    output stage is free; as ``EventEngine._topk``."""
    selected = max(t, eng[2 * e] + fill) + select
    free = max(selected, eng[2 * e + 1]) if out > 0 else selected
    return free, free + out, free - selected


@njit(cache=True)
def _pipeline(rows: np.ndarray, jobs: np.ndarray, jobs_out: np.ndarray, job_engine: np.ndarray,
              job_ptr: np.ndarray, job_idx: np.ndarray, gate_ptr: np.ndarray, gate_idx: np.ndarray,
              job_pos: np.ndarray, engines: int, lat: float, qk_fill: float, pv_fill: float,
              shared_is_value: bool, buf: np.ndarray) -> tuple[float, np.ndarray]:
    """The single pass over items in the order they reach the key buffer.

    ``rows[p]``: service times of the p-th item (columns K_DRAM ... VTOPK_E; DRAM cycles are
    negative when nothing is fetched). ``jobs`` / ``jobs_out``: the token/head jobs' selection
    (input included) / output cycles, ``job_engine`` their engines. Jobs
    ``job_idx[job_ptr[p]:job_ptr[p+1]]`` follow position p; the item at position p waits for jobs
    ``gate_idx[gate_ptr[p]:gate_ptr[p+1]]``; ``job_pos[j]`` is the position job j follows.
    ``engines``: top-k engines; ``shared_is_value``: one engine takes every job. ``buf``: the
    buffers' state (rows BFREED ... BRECYCLE, built by :func:`_buffer_state`). Returns (cycles,
    [work, stalled, blocked] cycles per unit in BUSY_KEYS order).
    """
    n = rows.shape[0]
    st = (np.zeros(5), np.zeros((3, 5)), np.zeros(n), np.full(n, np.inf), np.zeros(n),
          np.zeros(len(jobs)), np.zeros(1, np.int64), np.zeros(2 * engines), buf)
    jb = (jobs, jobs_out, job_ptr, job_idx, job_engine, shared_is_value)
    fills = (lat, qk_fill, pv_fill)
    clock, busy, release, _, _, job_done, _, _, _ = st
    pending = -1  # position whose recompute pass is still queued for QxK
    pending_t = 0.0
    req = 0.0  # when the item may ask for the key buffer (its gate jobs are done)
    for p in range(n):
        if gate_ptr[p + 1] > gate_ptr[p]:
            # the jobs it waits for follow items that must be scored first
            if pending >= 0:
                _recompute(st, rows, pending, pending_t, jb, fills)
                pending = -1
            if shared_is_value:
                stop = 0
                for q in range(gate_ptr[p], gate_ptr[p + 1]):
                    stop = max(stop, job_pos[gate_idx[q]] + 1)
                _value_side(st, rows, -np.inf, stop, jb, fills)
            for q in range(gate_ptr[p], gate_ptr[p + 1]):
                req = max(req, job_done[gate_idx[q]])
        if pending >= 0 and rows[pending, K_FREE] > 0 and _head(st[8], rows, p, 0) > pending:  # its lines
            _recompute(st, rows, pending, pending_t, jb, fills)
            pending = -1
        k = _granted(st[8], rows, p, req, 0, release)
        st[8][BGRANT, 0] = k
        if pending >= 0 and pending_t <= k:  # the previous item's recompute asked for QxK first
            _recompute(st, rows, pending, pending_t, jb, fills)
            pending = -1
        _value_side(st, rows, k, 0, jb, fills)
        e1 = _consume(clock, busy, QK, k, rows[p, K_DRAM], rows[p, QK_C], lat)
        if pending >= 0:
            _recompute(st, rows, pending, pending_t, jb, fills)
            pending = -1
        if rows[p, HAS_RQ] > 0:
            pending = p
            pending_t = e1
        else:
            _score(st, p, e1, jb, qk_fill)
    if pending >= 0:
        _recompute(st, rows, pending, pending_t, jb, fills)
    _value_side(st, rows, np.inf, n, jb, fills)
    end = clock[END]
    for j in range(len(jobs)):
        end = max(end, job_done[j])
    return end, busy


@njit(cache=True)
def _head(buf: np.ndarray, rows: np.ndarray, p: int, side: int) -> int:
    """The first position whose allocation (on the key buffer, ``side`` 0, or the value buffer, 1)
    must still hold its lines for position ``p`` to get its own; moves that pointer on."""
    h = int(buf[BHEAD + side, 0])
    alloc = rows[p, K_ALLOC + 2 * side]
    if alloc > 0:
        f, e, cap = BFREED + 2 * side, BFREED + 2 * side + 1, buf[BCAP + side, 0]
        while buf[f, p] - buf[f, h] + alloc > cap or buf[e, p] - buf[e, h] >= MAX_ALLOCATIONS:
            h += 1
        buf[BHEAD + side, 0] = h
    return h


@njit(cache=True)
def _granted(buf: np.ndarray, rows: np.ndarray, p: int, t: float, side: int, release: np.ndarray) -> float:
    """When position ``p``, asking at ``t``, gets the key (``side`` 0) or value (1) buffer: after
    the position before it and, if it allocates, once the allocations freed before its
    :func:`_head` are recycled (in order: the latest of their ``release`` times)."""
    g = max(t, buf[BGRANT + side, 0])
    if rows[p, K_ALLOC + 2 * side] > 0:
        h = _head(buf, rows, p, side)
        r = int(buf[BRECYCLE + side, 0])
        recycled = buf[BRECYCLE + side, 1]
        while r < h:
            if rows[r, K_FREE + 2 * side] > 0:
                recycled = max(recycled, release[r])
            r += 1
        buf[BRECYCLE + side, 0] = r
        buf[BRECYCLE + side, 1] = recycled
        g = max(g, recycled)
    return g


@njit(cache=True)
def _run_jobs(st: tuple, p: int, t: float, jb: tuple) -> None:
    """Queue the top-k jobs that follow position ``p`` (scored at ``t``) on their engine."""
    busy, job_done, eng = st[1], st[5], st[7]
    jobs, jobs_out, job_ptr, job_idx, job_engine, _ = jb
    for q in range(job_ptr[p], job_ptr[p + 1]):
        j = job_idx[q]
        e = job_engine[j]
        free, done, blocked = _topk_job(eng, e, t, 0.0, jobs[j], jobs_out[j])
        eng[2 * e] = free
        if jobs_out[j] > 0:
            eng[2 * e + 1] = done
        busy[0, SHARED] += jobs[j]  # the selection stage, as the event engine
        busy[2, SHARED] += blocked
        job_done[j] = done


@njit(cache=True)
def _score(st: tuple, p: int, e: float, jb: tuple, qk_fill: float) -> None:
    """Position ``p`` ends QxK at ``e``; after the pipeline fill it is scored and frees its key lines."""
    release, scored = st[2], st[3]
    release[p] = e + qk_fill
    scored[p] = e + qk_fill
    if not jb[5]:
        _run_jobs(st, p, scored[p], jb)


@njit(cache=True)
def _recompute(st: tuple, rows: np.ndarray, p: int, t: float, jb: tuple, fills: tuple) -> None:
    """The LSB re-fetch and recompute pass of position ``p``, requested at ``t``."""
    _value_side(st, rows, t, 0, jb, fills)
    e = _consume(st[0], st[1], QK, t, rows[p, L_DRAM], rows[p, RQ_C], fills[0])
    _score(st, p, e, jb, fills[1])


@njit(cache=True)
def _value_side(st: tuple, rows: np.ndarray, until: float, stop: int, jb: tuple, fills: tuple) -> None:
    """Advance the value side through the scored items whose value fetch is requested by ``until``
    (and through position ``stop`` regardless)."""
    clock, busy, _, scored, vrelease, _, cursor, eng, _ = st
    n = rows.shape[0]
    while cursor[0] < n and scored[cursor[0]] < np.inf:
        v = cursor[0]
        vti, vtc, vto = rows[v, VTOPK_I], rows[v, VTOPK_C], rows[v, VTOPK_O]
        e = int(rows[v, VTOPK_E])
        ready = free = scored[v]
        blocked = 0.0
        if vtc + vto > 0:
            free, ready, blocked = _topk_job(eng, e, ready, vti, vtc, vto)
        ready = max(ready, clock[VDONE])  # results are taken in order
        acquire = _granted(st[8], rows, v, ready, 1, vrelease)
        if acquire > until and v >= stop:
            return
        clock[VDONE] = ready
        st[8][BGRANT + 1, 0] = acquire
        if vtc + vto > 0:
            eng[2 * e] = free
            if vto > 0:
                eng[2 * e + 1] = free + vto
            busy[0, VTOP] += vti + vtc
            busy[2, VTOP] += blocked
        e = _consume(clock, busy, PV, acquire, rows[v, V_DRAM], rows[v, PV_C], fills[0])
        vrelease[v] = e + fills[2]
        clock[END] = max(clock[END], vrelease[v])
        if jb[5]:
            _run_jobs(st, v, scored[v], jb)
        cursor[0] += 1


def warm() -> None:
    """Compile (or load from numba's on-disk cache) the kernel on a tiny input, so that worker
    processes started afterwards find it cached instead of each compiling it."""
    empty = np.zeros(0, np.int64)
    _pipeline(np.zeros((1, 15)), np.zeros(0), np.zeros(0), empty, np.zeros(2, np.int64), empty,
              np.zeros(2, np.int64), empty, empty, 1, 0.0, 0.0, 0.0, False, np.zeros((12, 2)))
