"""Phase 2: the simpy event engine that runs a WorkPlan on a hardware config.

Units are simpy resources: the DRAM channels (a bandwidth server), the QxK + softmax pipeline,
the ProbxV array, the top-k engines, and the key and value buffers (:class:`LineBuffer`: lines
allocated per request in request order, ``accelsim.sim.items.Buffers``). A work item (a decode
request, or a tile of a prefill request's queries) flows through:

1. key-buffer allocation, then an entry of the request FIFO (at most ``items.REQ_IN_FLIGHT`` items
   between key allocation and their requant decision, as the RTL's ``req_fifo``), then key fetch
   streaming into QxK and softmax: max(DRAM, QxK, softmax) + DRAM latency + pipeline fill;
2. if some query's max probability was below threshold: LSB fetch and recompute, likewise; the key
   lines and the FIFO entry are freed at this requant decision (after the pipeline fill); the RTL's
   requant FIFO after it is not modelled (``items.REQ_IN_FLIGHT``'s comment: it never moved cycles);
3. local value top-k on a value engine;
4. value-buffer allocation, value fetch streaming into ProbxV; the value lines are freed after it.

``hw.topk.count`` engines share the jobs (``items.engine_roles``): one engine takes all; otherwise
half of them (rounded down) take token/head jobs and the rest value jobs, each kind dealt
round-robin. Items ask for the value top-k and then for the value SRAM in request order (the
authors' controller is in order, SpAttenController.scala; with several value engines their
results merge back in order), so more engines overlap jobs without reordering requests.

A top-k engine has a selection stage and an output stage (``hw.topk.jobs_in_flight`` = 2): a job
keeps the selection stage until the output stage is free, so the next job's selection overlaps
this job's output pass; with one job in flight a job's output cycles count as selection. A value
job's scores enter the selection stage at its input rate: while the stage is free they stream in
during Q x K; once it is busy they wait in the score buffer and are read after it frees (input
cycles on the stage).

Per unit the engine splits the time it holds the unit (:class:`Timeline`): work (DRAM: transfer
cycles; QxK, ProbxV: compute cycles; a top-k engine: its selection stage's input and selection
cycles, input hidden under Q x K included), stalled on input (QxK, ProbxV held while their DRAM data
has not arrived: before the first beat, and where it streams in slower than they compute) and
blocked on output (a top-k selection stage held, its job selected, until the output stage frees).

Items overlap across units (the paper's pipelined critical path). Token and head top-k jobs run on
the token/head engines once their layer's importance is accumulated, reading it in at the
engine's input rate (all their input cycles are charged: nothing produces it while they wait);
the next layer's key fetch waits for them (its keep list depends on them), and so do the items
behind it: requests enter the key buffer in order.

A plug-in unit (``accelsim.units``) is a resource at its place: after scoring, before the value
top-k (``qk``), or after ProbxV (``pv``); items take it in request order, each for its cycles, and
go on after its latency (``accelsim.units.base``). A ``pv`` unit may read DRAM (issued through
``_issue`` right behind the item's value fetch, logged as ``<unit>_read``; the unit holds the item
until the data is in) and write it (posted as the item enters the unit, logged as ``<unit>``), and may
have an input queue of ``queue`` items (a resource of that many slots): the stage before it keeps its
item, held and blocked on output, until it gets a slot, freed as the item enters the unit.

``accelsim.sim.rules.RULES`` lists these rules with the design points where each binds; the fast
path restates them, and ``tests/sim/test_fast.py`` checks both at those points.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import simpy

from accelsim.config.hardware import Hardware
from accelsim.gcpause import paused
from accelsim.hw.units import dram_latency
from accelsim.sim.items import (
    MAX_ALLOCATIONS,
    REQ_IN_FLIGHT,
    buffer_lines,
    engine_roles,
    layer_gates,
    round_robin,
)
from accelsim.units import PLACES, stages
from accelsim.workplan import TOPK_KINDS, WorkPlan

if TYPE_CHECKING:
    import pandas as pd

ROW = ("k_alloc", "k_dram", "k_bytes", "rq_qk", "lsb_bytes", "lsb_dram", "qk", "sm", "rq_sm", "k_by", "vtopk",
       "vtopk_in", "vtopk_out", "v_alloc", "v_dram", "v_bytes", "pv", "v_by")
"""The item columns the engine reads, in the order :meth:`EventEngine._item` unpacks them."""


class LineBuffer:
    """A K or V buffer as the RTL's BufferManager (BufferManager.scala) runs it: a ring of ``lines``
    lines allocated in request order, at most ``MAX_ALLOCATIONS`` at once; an allocation freed out of
    order returns its lines only once those allocated before it have returned theirs."""

    def __init__(self, env: simpy.Environment, lines: int) -> None:
        self.lines = simpy.Container(env, lines, init=lines)
        self.handles = simpy.Resource(env, MAX_ALLOCATIONS)
        self.held: dict[int, list] = {}  # item -> its allocation: [lines, handle, freed]
        self.ring: deque[list] = deque()  # the allocations, oldest first

    def alloc(self, item: int, lines: float):
        """Allocate ``lines`` lines for ``item`` (waits for them, in request order)."""
        handle = self.handles.request()
        yield handle
        yield self.lines.get(lines)
        self.held[item] = held = [lines, handle, False]
        self.ring.append(held)

    def free(self, item: int) -> None:
        """Free ``item``'s allocation; the ring gets back the lines of every allocation freed in a row from
        the oldest."""
        self.held.pop(item)[2] = True
        while self.ring and self.ring[0][2]:
            lines, handle, _ = self.ring.popleft()
            self.handles.release(handle)
            self.lines.put(lines)


class Turns:
    """A point items pass in request order: item ``i`` waits until item ``i - 1`` has passed. Only an item
    that arrives early waits on an event; the others go on in the same step."""

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self.last = -1  # the last item that passed
        self.waiting: dict[int, simpy.Event] = {}

    def wait(self, i: int) -> simpy.Event | None:
        """The event item ``i`` waits for; None when it may pass now."""
        if self.last == i - 1:
            return None
        self.waiting[i] = turn = self.env.event()
        return turn

    def passed(self, i: int) -> None:
        """Item ``i`` has passed: its successor's turn."""
        self.last = i
        if (turn := self.waiting.pop(i + 1, None)) is not None:
            turn.succeed()


UNITS = ("dram", "qk", "pv", "topk_shared", "topk_value")


@dataclass(frozen=True)
class _Stage:
    """A plug-in unit as the engine runs it: per-item cycles, latency, DRAM read and write cycles and
    bytes (None: none), and its input queue's slots (None: unbounded)."""

    name: str
    unit: simpy.Resource
    cycles: np.ndarray
    latency: float
    read: tuple[np.ndarray, np.ndarray] | None
    write: tuple[np.ndarray, np.ndarray] | None
    slots: simpy.Resource | None


@dataclass
class Timeline:
    """What the engine observed: per unit (``UNITS``, then the design's plug-in units) the cycles it
    worked, was stalled on input and was blocked on output (their sum: the time it was held), and the
    DRAM transfer log."""

    cycles: float = 0.0
    busy: dict[str, float] = field(default_factory=lambda: dict.fromkeys(UNITS, 0.0))
    stall: dict[str, float] = field(default_factory=lambda: dict.fromkeys(UNITS, 0.0))
    blocked: dict[str, float] = field(default_factory=lambda: dict.fromkeys(UNITS, 0.0))
    dram_log: list[tuple[float, float, float, str, int]] = field(default_factory=list)

    def dram_frame(self) -> pd.DataFrame:
        """:attr:`dram_log` as a table (start, end, bytes, kind, item)."""
        import pandas as pd

        return pd.DataFrame(self.dram_log, columns=["start", "end", "bytes", "kind", "item"])


class EventEngine:
    """Runs work items and top-k jobs through simpy resources."""

    def __init__(self, hw: Hardware, plan: WorkPlan, items: Mapping[str, np.ndarray] | pd.DataFrame,
                 jobs: tuple[np.ndarray, ...]) -> None:
        self.hw, self.plan, self.items, self.jobs = hw, plan, items, jobs
        env = self.env = simpy.Environment()
        self.dram_free = 0.0  # when the DRAM server ends its last transfer (:meth:`_issue`)
        self.qk = simpy.Resource(env, 1)
        self.pv = simpy.Resource(env, 1)
        count = max(hw.topk.count, 1)
        self.engines = [(simpy.Resource(env, 1), simpy.Resource(env, 1))  # selection, output
                        for _ in range(count)]
        self.shared, self.value = engine_roles(count)
        self.value_base = count - self.value  # value engines: value_base .. count - 1
        self.released = [0.0] * len(self.engines)  # when each selection stage was last freed
        self.kbuf = LineBuffer(env, buffer_lines(hw.sram.key_kb, hw.qk))
        self.vbuf = LineBuffer(env, buffer_lines(hw.sram.value_kb, hw.pv))
        self.asked, self.lined = Turns(env), Turns(env)  # items asked for value top-k, got value lines
        self.reqs = simpy.Resource(env, REQ_IN_FLIGHT)  # the RTL's request FIFO (items.REQ_IN_FLIGHT)
        self.lat = dram_latency(hw)
        self.qk_fill = hw.qk.latency + hw.softmax.latency + hw.fetcher.latency
        self.pv_fill = hw.pv.latency + hw.fetcher.latency
        self.t = Timeline()
        self.stages: dict[str, list[_Stage]] = {p: [] for p in PLACES}
        for unit, params in stages(hw):  # plug-in units (accelsim.units), in pipeline order
            name = unit.name
            read, write = (
                tuple(np.asarray(items[f"unit_{name}_{way}{c}"], np.float64) for c in ("", "_bytes"))
                if f"unit_{name}_{way}" in items else None
                for way in ("read", "write")
            )
            queue = unit.queue(params)
            self.stages[unit.follows].append(_Stage(
                name, simpy.Resource(env, 1), np.asarray(items[f"unit_{name}"], np.float64), unit.latency(params),
                read, write, simpy.Resource(env, queue) if queue else None,
            ))
            for held in (self.t.busy, self.t.stall, self.t.blocked):
                held[name] = 0.0
        pv = self.stages["pv"]
        self.pv_slots = pv[0].slots if pv else None  # the first unit after ProbxV back-pressures it
        self.pv_reads = any(x.read is not None for x in pv)

    def _issue(self, cycles: float, nbytes: float, kind: str, item: int) -> tuple[float, float] | None:
        """Start a fetch now (address FIFOs let it run ahead of compute): (start, end) of the transfer,
        None if nothing to fetch. DRAM is one FIFO server whose requests are issued in the order they are
        served, so its grants are arithmetic: a transfer starts when issued or when the one before ends."""
        if nbytes <= 0:
            return None
        start = max(self.env.now, self.dram_free)
        end = self.dram_free = start + cycles
        self.t.busy["dram"] += cycles
        self.t.dram_log.append((start, end, nbytes, kind, item))
        return start, end

    def _consume(self, unit: simpy.Resource, span: tuple[float, float] | None, compute: float, key: str,
                 slots: simpy.Resource | None = None):
        """Hold ``unit`` while it computes on data streaming in over ``span`` (from :meth:`_issue`):
        ``compute`` cycles of work, the rest of the time held stalled on input; then, if the next stage has
        input ``slots``, until the item has one (blocked on output). Returns the slot's request (None
        without slots)."""
        env = self.env
        req = unit.request()
        yield req
        t0 = env.now
        if span is not None:
            start = max(t0, span[0] + self.lat)
            end = max(start + compute, span[1] + self.lat)
            wake = max(t0, span[1])  # the unit sees the last beat arrive
        else:
            end, wake = t0 + compute, t0
        done = wake + max(end - wake, 0.0)
        yield env.timeout(done - t0)
        self.t.busy[key] += compute
        self.t.stall[key] += done - t0 - compute
        slot = None if slots is None else (yield from self._hand_over(slots, key))
        unit.release(req)
        return slot

    def _hand_over(self, slots: simpy.Resource, key: str):
        """Wait, holding the current stage (``key``: blocked on output), for a slot of the next stage's
        input queue; the slot's request."""
        done = self.env.now
        slot = slots.request()
        yield slot
        self.t.blocked[key] += self.env.now - done
        return slot

    def _topk(self, engine: int, fill: float, select: float, out: float, key: str):
        """One job on top-k engine ``engine``, asked for when its last score is ready: ``fill``
        input cycles (hidden under the scores' arrival where the stage was free by then), ``select``
        cycles in the selection stage, which it holds until the output stage is free (blocked on
        output), then ``out`` cycles in the output stage."""
        stage, output = self.engines[engine]
        held = stage.request()
        yield held
        start = max(self.env.now, self.released[engine] + fill)  # last score in
        yield self.env.timeout(start - self.env.now + select)
        selected = self.env.now
        if out > 0:
            req = output.request()
            yield req
            self.released[engine] = self.env.now
            stage.release(held)
            yield self.env.timeout(out)
            output.release(req)
        else:
            self.released[engine] = self.env.now
            stage.release(held)
        self.t.busy[key] += fill + select  # the selection stage; output passes overlap the next job
        self.t.blocked[key] += self.released[engine] - selected

    def _through(self, i: int, place: str, entered: Turns | None = None, slot=None, reads=None):
        """Item ``i`` through the plug-in units at ``place``, in order: each held for the item's cycles
        (and until the DRAM read it issued with the item's value fetch is in, ``reads[k]``; a write is
        posted as the item enters it), then until the next one has an input slot for it, then its
        latency; the item passes its ``entered`` turn once queued for the first one (now, if none);
        ``slot``: its slot in the first one's input queue."""
        units = self.stages[place]
        for k, x in enumerate(units):
            req = x.unit.request()
            if entered is not None:
                entered.passed(i)
                entered = None
            yield req
            if slot is not None:  # it leaves the unit's input queue
                x.slots.release(slot)
            t0, c = self.env.now, x.cycles[i]
            if x.write is not None:  # posted
                self._issue(x.write[0][i], x.write[1][i], x.name, i)
            span = reads[k] if reads is not None else None
            if span is None:
                yield self.env.timeout(c)
            else:  # from when the last beat is in (the read issued with the value fetch)
                wake = max(t0, span[1])
                done = wake + (max(t0 + c, span[1] + self.lat) - wake)
                yield self.env.timeout(done - t0)
                self.t.stall[x.name] += done - t0 - c
            self.t.busy[x.name] += c
            slots = units[k + 1].slots if k + 1 < len(units) else None
            slot = None if slots is None else (yield from self._hand_over(slots, x.name))
            x.unit.release(req)
            yield self.env.timeout(x.latency)
        if entered is not None:
            entered.passed(i)

    def _admit(self, rows: Iterator[tuple], gates: dict[int, list[simpy.Event]], scored: list[simpy.Event | None]):
        """Items into the key buffer and the request FIFO in request order (after the top-k jobs that gate
        them), each then on its own (:meth:`_item`)."""
        env = self.env
        for i, row in enumerate(rows):
            if i in gates:
                yield env.all_of(gates[i])
            if row[0] > 0:  # k_alloc
                yield from self.kbuf.alloc(i, row[0])
            entry = self.reqs.request()  # a request FIFO entry, held until its requant decision
            yield entry
            env.process(self._item(i, row, entry, scored[i]))

    def _item(self, i: int, row: tuple, entry: simpy.Resource, scored: simpy.Event | None):
        """Item ``i`` (``row``: its ``ROW`` columns and value engine) from when it has its key lines and its
        request FIFO ``entry``; ``scored``: it has its scores (None where no top-k job reads them). It asks for
        the value top-k (``self.asked``) and gets its value lines (``self.lined``) in request order."""
        (_, k_dram, k_bytes, rq_qk, lsb_bytes, lsb_dram, qk, sm, rq_sm, k_by, vtopk, vtopk_in, vtopk_out,
         v_alloc, v_dram, v_bytes, pv, v_by, vengine) = row
        env = self.env
        yield from self._consume(self.qk, self._issue(k_dram, k_bytes, "key", i), max(qk, sm), "qk")
        if rq_qk > 0 or lsb_bytes > 0:
            yield from self._consume(self.qk, self._issue(lsb_dram, lsb_bytes, "key_lsb", i), max(rq_qk, rq_sm), "qk")
        yield env.timeout(self.qk_fill)
        if k_by >= 0:
            self.kbuf.free(k_by)
        self.reqs.release(entry)
        if scored is not None:
            scored.succeed()
        if (turn := self.asked.wait(i)) is not None:
            yield turn
        yield from self._through(i, "qk", self.asked)  # queued in request order, as the value top-k
        if vtopk + vtopk_out > 0:
            yield from self._topk(vengine, vtopk_in, vtopk, vtopk_out, "topk_value")
        if (turn := self.lined.wait(i)) is not None:
            yield turn
        if v_alloc > 0:
            yield from self.vbuf.alloc(i, v_alloc)
        self.lined.passed(i)
        fetch = self._issue(v_dram, v_bytes, "value", i)
        reads = None
        if self.pv_reads:  # the units' reads, right behind the value fetch
            reads = [None if x.read is None else self._issue(x.read[0][i], x.read[1][i], f"{x.name}_read", i)
                     for x in self.stages["pv"]]
        slot = yield from self._consume(self.pv, fetch, pv, "pv", self.pv_slots)
        yield env.timeout(self.pv_fill)
        if v_by >= 0:
            self.vbuf.free(v_by)
        yield from self._through(i, "pv", slot=slot, reads=reads)

    def _job(self, after: simpy.Event, engine: int, select: float, out: float, done: simpy.Event):
        yield after
        yield from self._topk(engine, 0.0, select, out, "topk_shared")
        done.succeed()

    def run(self) -> Timeline:
        env = self.env
        cols = {c: np.asarray(self.items[c]) for c in (*ROW, "request")}
        n = len(cols["request"])
        vjob = cols["vtopk"] + cols["vtopk_out"] > 0
        vengine = self.value_base + np.maximum(round_robin(vjob, self.value), 0)
        scored: list[simpy.Event | None] = [None] * n  # where a token/head job reads the item's scores
        gates: dict[int, list[simpy.Event]] = {}
        t = self.plan.topk_table
        if len(t):
            # a token/head job reads its request's last item's scores; the next layer group's first item waits
            after, gated = layer_gates(self.plan, cols["request"])
            shared = t["kind"] != TOPK_KINDS.index("value")
            engine = round_robin(shared, self.shared)
            for job in np.flatnonzero(shared):
                if scored[after[job]] is None:
                    scored[after[job]] = env.event()
                done = env.event()
                select = float(self.jobs[0][job] + self.jobs[1][job])  # input read after scoring
                env.process(self._job(scored[after[job]], int(engine[job]), select,
                                      float(self.jobs[2][job]), done))
                if gated[job] >= 0:
                    gates.setdefault(int(gated[job]), []).append(done)
        rows = zip(*(cols[c].tolist() for c in ROW), vengine.tolist(), strict=True)
        env.process(self._admit(rows, gates, scored))
        with paused():  # the run makes ~10^5 short-lived events; cyclic collections rescanned the heap: 10-15%
            env.run()
        self.t.cycles = max(env.now, self.dram_free)  # a posted write (a unit's) may end after every event
        return self.t
