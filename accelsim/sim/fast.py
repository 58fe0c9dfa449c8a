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
    REQ_IN_FLIGHT,
    Buffers,
    Tiling,
    buffer_lines,
    engine_roles,
    fetched_bytes,
    job_cycles,
    qk_lines,
    round_robin,
    softmax_lines,
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
        self._buffers: dict[tuple, tuple[Buffers, np.ndarray]] = {}
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

    def softmax_lines(self, hw: Hardware) -> tuple[np.ndarray, np.ndarray]:
        """Softmax and recompute cycles of each item (``accelsim.sim.items.softmax_lines``), cached per unit."""
        key = ("softmax", hw.softmax.parallelism, hw.softmax.fifo_depth)
        if key not in self._lines:
            self._lines[key] = softmax_lines(self.plan, self.tiling, hw)
        return self._lines[key]

    def buffers(self, hw: Hardware) -> tuple[Buffers, np.ndarray]:
        """Buffer allocations of each item (``accelsim.sim.items.Buffers``) and their :func:`_freed`
        prefix sums, cached per buffer shape."""
        key = (hw.sram.key_kb, hw.sram.value_kb, hw.qk.multipliers, hw.qk.bits, hw.pv.multipliers, hw.pv.bits)
        if key not in self._buffers:
            buf = Buffers.of(self.plan, hw, self.tiling)
            self._buffers[key] = buf, _freed(buf)
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
        buf, freed = self.buffers(hw)

        def dram(b: np.ndarray) -> np.ndarray:
            return dram_cycles(b, hw.dram, hw.clock_ghz, hw.fetcher.ports)

        n = len(self.owner)
        qk, rq = self.qk_lines(hw)
        sm, rs = self.softmax_lines(hw)
        rows = np.empty((n, 15))
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
        times = np.zeros((3, n))
        times[SCORED] = np.inf
        st = np.zeros(ENG + 2 * count)
        st[S_LINES:S_LINES + 2] = buffer_lines(hw.sram.key_kb, hw.qk), buffer_lines(hw.sram.value_kb, hw.pv)
        busy = np.zeros((3, 5))
        jobf = np.zeros((3, len(jobs)))
        jobf[J_SELECT], jobf[J_OUT] = jobs, jobs_out
        cycles = _pipeline(
            rows, times, st, busy, freed, jobf, job_engine, self.job_ptr, self.job_idx, self.gate_ptr,
            self.gate_idx, self.job_pos, float(dram_latency(hw)),
            float(hw.qk.latency + hw.softmax.latency + hw.fetcher.latency),
            float(hw.pv.latency + hw.fetcher.latency), hw.topk.count <= 1, REQ_IN_FLIGHT)
        side = float(b["side"].sum())
        by = {"key": float(kb.sum()) - side, "key_lsb": float(lb.sum()), "value": float(vb.sum()),
              "side": side}
        work, stall, blocked = (dict(zip(BUSY_KEYS, row, strict=True)) for row in busy.tolist())
        return FastTimeline(cycles=float(cycles), busy=work, stall=stall, blocked=blocked, dram_bytes_by=by)


def _csr(target: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Group indices i with ``target[i] >= 0`` by target position: (pointers [n+1], indices)."""
    idx = np.flatnonzero(target >= 0)
    idx = idx[np.argsort(target[idx], kind="stable")]
    ptr = np.searchsorted(target[idx], np.arange(n + 1)).astype(np.int64)
    return ptr, idx.astype(np.int64)


# slots of the kernel's state ``st``: when DRAM, QxK and ProbxV are next free, the latest finish, when
# the last value top-k result was taken, the value side's next position; per buffer (key, value) its
# lines, when the last item was granted it, the first position whose allocation may still hold lines,
# the next position whose freed lines are not yet recycled and when those before it were; then per
# top-k engine e, at ENG + 2e and ENG + 2e + 1, when its selection and output stages are next free
DRAM, QK, PV, END, VDONE, CURSOR = range(6)
S_LINES, S_GRANT, S_HEAD, S_NEXT, S_RECYCLED, ENG = 6, 8, 10, 12, 14, 16
# rows of the per-item times ``times`` [3, items]: key lines freed, scored, value lines freed
RELEASE, SCORED, VRELEASE = range(3)
# rows of the token/head jobs' ``jobf`` [3, jobs]: selection (input included) and output cycles, done
J_SELECT, J_OUT, J_DONE = range(3)
# busy [3, 5]: rows work, stalled on input, blocked on output; columns follow BUSY_KEYS
SHARED, VTOP = 3, 4
BUSY_KEYS = ("dram", "qk", "pv", "topk_shared", "topk_value")
# columns of the kernel's per-item rows
(K_DRAM, L_DRAM, V_DRAM, QK_C, RQ_C, HAS_RQ, VTOPK_C, PV_C, VTOPK_O, VTOPK_I, VTOPK_E,
 K_ALLOC, K_FREE, V_ALLOC, V_FREE) = range(15)

# The kernel allocates nothing (the caller passes every array) and passes no tuples of arrays, so it
# runs without numba's reference counting (``_nrt=False``), as ``accelsim.hw.dram.controller.run``,
# and its small helpers are inlined: with reference counting every helper call paid atomic updates
# per array argument (GPT-2 trace: 3 ms a point, now 0.1 ms). The value side and the recompute pass
# stay calls: inlining the value side at its call sites halved the kernel's time again but took the
# compile time from 5 to 9 s.


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
def _topk_job(eng: np.ndarray, e: int, t: float, fill: float, select: float,
              out: float) -> tuple[float, float, float]:
    """(selection stage free, job done, cycles blocked on output) for a job asking engine ``e`` at
    ``t`` (no state changes; ``eng[2e]``, ``eng[2e + 1]``: when its selection and output stages
    free): its input ends at ``max(t, stage free + fill)``; it holds the selection stage until the
    output stage is free; as ``EventEngine._topk``."""
    selected = max(t, eng[2 * e] + fill) + select
    free = max(selected, eng[2 * e + 1]) if out > 0 else selected
    return free, free + out, free - selected


@njit(cache=True, _nrt=False, inline="always")
def _head(st: np.ndarray, freed: np.ndarray, rows: np.ndarray, p: int, side: int) -> int:
    """The first position whose allocation (on the key buffer, ``side`` 0, or the value buffer, 1)
    must still hold its lines for position ``p`` to get its own; moves that pointer on. ``freed``:
    lines freed and allocations ended before each position, per buffer (:func:`_freed`)."""
    h = int(st[S_HEAD + side])
    alloc = rows[p, K_ALLOC + 2 * side]
    if alloc > 0:
        f, cap = 2 * side, st[S_LINES + side]
        while freed[f, p] - freed[f, h] + alloc > cap or freed[f + 1, p] - freed[f + 1, h] >= MAX_ALLOCATIONS:
            h += 1
        st[S_HEAD + side] = h
    return h


@njit(cache=True, _nrt=False, inline="always")
def _granted(st: np.ndarray, freed: np.ndarray, rows: np.ndarray, times: np.ndarray, p: int, t: float,
             side: int) -> float:
    """When position ``p``, asking at ``t``, gets the key (``side`` 0) or value (1) buffer: after
    the position before it and, if it allocates, once the allocations freed before its
    :func:`_head` are recycled (in order: the latest of their release times)."""
    g = max(t, st[S_GRANT + side])
    if rows[p, K_ALLOC + 2 * side] > 0:
        h = _head(st, freed, rows, p, side)
        r = int(st[S_NEXT + side])
        recycled = st[S_RECYCLED + side]
        while r < h:
            if rows[r, K_FREE + 2 * side] > 0:
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
def _run_jobs(st: np.ndarray, busy: np.ndarray, jobf: np.ndarray, job_engine: np.ndarray, job_ptr: np.ndarray,
              job_idx: np.ndarray, p: int, t: float) -> None:
    """Queue the top-k jobs that follow position ``p`` (scored at ``t``) on their engine."""
    eng = st[ENG:]
    for q in range(job_ptr[p], job_ptr[p + 1]):
        j = job_idx[q]
        e = job_engine[j]
        free, done, blocked = _topk_job(eng, e, t, 0.0, jobf[J_SELECT, j], jobf[J_OUT, j])
        eng[2 * e] = free
        if jobf[J_OUT, j] > 0:
            eng[2 * e + 1] = done
        busy[0, SHARED] += jobf[J_SELECT, j]  # the selection stage, as the event engine
        busy[2, SHARED] += blocked
        jobf[J_DONE, j] = done


@njit(cache=True, _nrt=False)
def _value_side(rows: np.ndarray, times: np.ndarray, st: np.ndarray, busy: np.ndarray, freed: np.ndarray,
                jobf: np.ndarray, job_engine: np.ndarray, job_ptr: np.ndarray, job_idx: np.ndarray,
                until: float, stop: int, lat: float, pv_fill: float, shared_is_value: bool) -> None:
    """Advance the value side through the scored items whose value fetch is requested by ``until``
    (and through position ``stop`` regardless)."""
    n = rows.shape[0]
    eng = st[ENG:]
    while int(st[CURSOR]) < n and times[SCORED, int(st[CURSOR])] < np.inf:
        v = int(st[CURSOR])
        vti, vtc, vto = rows[v, VTOPK_I], rows[v, VTOPK_C], rows[v, VTOPK_O]
        e = int(rows[v, VTOPK_E])
        ready = free = times[SCORED, v]
        blocked = 0.0
        if vtc + vto > 0:
            free, ready, blocked = _topk_job(eng, e, ready, vti, vtc, vto)
        ready = max(ready, st[VDONE])  # results are taken in order
        acquire = _granted(st, freed, rows, times, v, ready, 1)
        if acquire > until and v >= stop:
            return
        st[VDONE] = ready
        st[S_GRANT + 1] = acquire
        if vtc + vto > 0:
            eng[2 * e] = free
            if vto > 0:
                eng[2 * e + 1] = free + vto
            busy[0, VTOP] += vti + vtc
            busy[2, VTOP] += blocked
        end = _consume(st, busy, PV, acquire, rows[v, V_DRAM], rows[v, PV_C], lat)
        times[VRELEASE, v] = end + pv_fill
        st[END] = max(st[END], end + pv_fill)
        if shared_is_value:
            _run_jobs(st, busy, jobf, job_engine, job_ptr, job_idx, v, times[SCORED, v])
        st[CURSOR] += 1


@njit(cache=True, _nrt=False, inline="always")
def _score(times: np.ndarray, st: np.ndarray, busy: np.ndarray, jobf: np.ndarray, job_engine: np.ndarray,
           job_ptr: np.ndarray, job_idx: np.ndarray, p: int, e: float, qk_fill: float,
           shared_is_value: bool) -> None:
    """Position ``p`` ends QxK at ``e``; after the pipeline fill it is scored and frees its key lines."""
    times[RELEASE, p] = e + qk_fill
    times[SCORED, p] = e + qk_fill
    if not shared_is_value:
        _run_jobs(st, busy, jobf, job_engine, job_ptr, job_idx, p, e + qk_fill)


@njit(cache=True, _nrt=False)
def _recompute(rows: np.ndarray, times: np.ndarray, st: np.ndarray, busy: np.ndarray, freed: np.ndarray,
               jobf: np.ndarray, job_engine: np.ndarray, job_ptr: np.ndarray, job_idx: np.ndarray, p: int,
               t: float, lat: float, qk_fill: float, pv_fill: float, shared_is_value: bool) -> None:
    """The LSB re-fetch and recompute pass of position ``p``, requested at ``t``."""
    _value_side(rows, times, st, busy, freed, jobf, job_engine, job_ptr, job_idx, t, 0, lat, pv_fill,
                shared_is_value)
    e = _consume(st, busy, QK, t, rows[p, L_DRAM], rows[p, RQ_C], lat)
    _score(times, st, busy, jobf, job_engine, job_ptr, job_idx, p, e, qk_fill, shared_is_value)


@njit(cache=True, _nrt=False)
def _pipeline(rows: np.ndarray, times: np.ndarray, st: np.ndarray, busy: np.ndarray, freed: np.ndarray,
              jobf: np.ndarray, job_engine: np.ndarray, job_ptr: np.ndarray, job_idx: np.ndarray,
              gate_ptr: np.ndarray, gate_idx: np.ndarray, job_pos: np.ndarray, lat: float, qk_fill: float,
              pv_fill: float, shared_is_value: bool, slots: int) -> float:
    """The single pass over items in the order they reach the key buffer; returns the cycles and
    leaves each unit's [work, stalled, blocked] cycles in ``busy``.

    ``rows[p]``: service times of the p-th item (columns K_DRAM ... V_FREE; DRAM cycles are
    negative when nothing is fetched). ``times``: zeros, but SCORED infinite. ``st``: zeros, but the
    buffers' lines (S_LINES). ``freed``: :func:`_freed` of the buffers. ``jobf``: the token/head
    jobs' selection and output cycles, ``job_engine`` their engines. Jobs
    ``job_idx[job_ptr[p]:job_ptr[p+1]]`` follow position p; the item at position p waits for jobs
    ``gate_idx[gate_ptr[p]:gate_ptr[p+1]]``; ``job_pos[j]`` is the position job j follows.
    ``shared_is_value``: one engine takes every job. ``slots``: items in flight between the key
    buffer grant and being scored (:func:`_slot_free`; at least 3).
    """
    n = rows.shape[0]
    pending = -1  # position whose recompute pass is still queued for QxK
    pending_t = 0.0
    req = 0.0  # when the item may ask for the key buffer (its gate jobs are done)
    for p in range(n):
        if gate_ptr[p + 1] > gate_ptr[p]:
            # the jobs it waits for follow items that must be scored first
            if pending >= 0:
                _recompute(rows, times, st, busy, freed, jobf, job_engine, job_ptr, job_idx, pending, pending_t,
                           lat, qk_fill, pv_fill, shared_is_value)
                pending = -1
            if shared_is_value:
                stop = 0
                for q in range(gate_ptr[p], gate_ptr[p + 1]):
                    stop = max(stop, job_pos[gate_idx[q]] + 1)
                _value_side(rows, times, st, busy, freed, jobf, job_engine, job_ptr, job_idx, -np.inf, stop,
                            lat, pv_fill, shared_is_value)
            for q in range(gate_ptr[p], gate_ptr[p + 1]):
                req = max(req, jobf[J_DONE, gate_idx[q]])
        if pending >= 0 and rows[pending, K_FREE] > 0 and _head(st, freed, rows, p, 0) > pending:  # its lines
            _recompute(rows, times, st, busy, freed, jobf, job_engine, job_ptr, job_idx, pending, pending_t,
                       lat, qk_fill, pv_fill, shared_is_value)
            pending = -1
        k = _granted(st, freed, rows, times, p, req, 0)
        if p >= slots:
            k = max(k, _slot_free(times, p - slots))
        st[S_GRANT] = k
        if pending >= 0 and pending_t <= k:  # the previous item's recompute asked for QxK first
            _recompute(rows, times, st, busy, freed, jobf, job_engine, job_ptr, job_idx, pending, pending_t,
                       lat, qk_fill, pv_fill, shared_is_value)
            pending = -1
        _value_side(rows, times, st, busy, freed, jobf, job_engine, job_ptr, job_idx, k, 0, lat, pv_fill,
                    shared_is_value)
        e1 = _consume(st, busy, QK, k, rows[p, K_DRAM], rows[p, QK_C], lat)
        if pending >= 0:
            _recompute(rows, times, st, busy, freed, jobf, job_engine, job_ptr, job_idx, pending, pending_t,
                       lat, qk_fill, pv_fill, shared_is_value)
            pending = -1
        if rows[p, HAS_RQ] > 0:
            pending = p
            pending_t = e1
        else:
            _score(times, st, busy, jobf, job_engine, job_ptr, job_idx, p, e1, qk_fill, shared_is_value)
    if pending >= 0:
        _recompute(rows, times, st, busy, freed, jobf, job_engine, job_ptr, job_idx, pending, pending_t,
                   lat, qk_fill, pv_fill, shared_is_value)
    _value_side(rows, times, st, busy, freed, jobf, job_engine, job_ptr, job_idx, np.inf, n, lat, pv_fill,
                shared_is_value)
    end = st[END]
    for j in range(jobf.shape[1]):
        end = max(end, jobf[J_DONE, j])
    return end


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
    empty = np.zeros(0, np.int64)
    _pipeline(np.zeros((1, 15)), np.zeros((3, 1)), np.zeros(ENG + 2), np.zeros((3, 5)), np.zeros((4, 2)),
              np.zeros((3, 0)), empty, np.zeros(2, np.int64), empty, np.zeros(2, np.int64), empty, empty,
              0.0, 0.0, 0.0, False, REQ_IN_FLIGHT)
