"""Bank-aware DRAM timing and energy: the public model around the compiled controller.

Each request is one column access (READ or WRITE of ``access_bytes``) at a byte address. The
model decodes the addresses (channel, rank, bank group, bank, row) with numpy and hands them to
:mod:`accelsim.hw.dram.controller`, a numba-compiled cycle-by-cycle controller per channel in the
manner of DRAMsim3: transaction queue, per-bank command queues, FR-FCFS with a row-hit cap,
per-bank timers for the JEDEC constraints, refresh, dual command bus for HBM, an optional limit
on the requests in flight per channel, and two ways of feeding it: ``in-order`` (at most one
request per cycle in trace order, a full channel stalls the trace, as ``dramsim3main -t`` does)
and ``per-channel`` (each channel takes its own requests as they arrive). The loop over requests
and cycles runs compiled; Python only sets it up.

Energy follows DRAMsim3/DRAMPower: per ACT ``VDD (IDD0-IDD3N) tRAS``, per PRE ``VDD (IDD0-IDD2N)
tRP``, per READ ``VDD (IDD4R-IDD3N) burst``, per REFRESH ``VDD (IDD5AB-IDD3N) tRFC``, background
``VDD IDD3N`` per cycle while a rank has a row open and ``VDD IDD2N`` while it is precharged,
times devices per rank and ``tCK``.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from numba import njit

from accelsim.hw.dram import controller as kernel
from accelsim.hw.dram.spec import DramSpec, load_dram

IssueMode = Literal["in-order", "per-channel"]
ISSUE_MODES: tuple[str, ...] = ("in-order", "per-channel")
_NEG = -(1 << 40)  # "long ago": no constraint from before the first command
_MAX_TIME = 1 << 39  # cycles: the largest arrival accepted


@dataclass(frozen=True)
class Decoded:
    """Address fields of a request array (one entry per request)."""

    channel: np.ndarray
    rank: np.ndarray  # global rank index: channel * ranks + rank
    bankgroup: np.ndarray
    bank: np.ndarray  # global bank index
    row: np.ndarray


def decode(spec: DramSpec, addr: np.ndarray) -> Decoded:
    """Split byte addresses into channel / rank / bank group / bank / row (``address_mapping``)."""
    a = np.asarray(addr, dtype=np.int64)
    o = spec.organisation

    def f(name: str) -> np.ndarray:
        shift, width = spec.field_bits[name]
        return (a >> shift) & ((1 << width) - 1)

    ch, ra, bg, ba = f("ch"), f("ra"), f("bg"), f("ba")
    rank = ch * o.ranks + ra
    bank = (rank * o.bankgroups + bg) * o.banks_per_group + ba
    return Decoded(ch, rank, bg, bank, f("ro"))


@njit(cache=True, nogil=True)
def _channel_queue_row(addr, shift, mask, ranks, bankgroups, banks_per_group, queues, ch, q, row):
    """:func:`decode`'s channel and row, and the bank queue within the channel, in one pass into
    ``ch``, ``q`` and ``row`` (numpy's temporaries, 3 M requests: 0.3 s, mostly page faults)."""
    for i in range(len(addr)):
        a = addr[i]
        c = (a >> shift[0]) & mask[0]
        rank = c * ranks + ((a >> shift[1]) & mask[1])
        bank = (rank * bankgroups + ((a >> shift[2]) & mask[2])) * banks_per_group + ((a >> shift[3]) & mask[3])
        ch[i], q[i], row[i] = c, bank % queues, (a >> shift[4]) & mask[4]


@dataclass
class DramState:
    """What the DRAM remembers between calls: the controllers' queues and registers (layouts in
    :mod:`accelsim.hw.dram.controller`), the clock, and totals of the requests so far."""

    rq: np.ndarray  # [channel, slot]: transaction queue (request ids)
    cq: np.ndarray  # [channel, bank, slot]: command queues (request ids)
    qs: np.ndarray  # [channel, bank, Q_*]: command-queue occupancy, queued row hits
    qr: np.ndarray  # [channel, bank]: earliest next command (a lower bound)
    bank: np.ndarray  # [channel, bank, B_*]: timers, open row, hits since ACT
    grp: np.ndarray  # [channel, rank x bank group, G_*]: timers
    rank: np.ndarray  # [channel, rank, R_*]: last four ACTs, open banks, active cycles
    ctl: np.ndarray  # [channel, C_*]: round robin, queue length, refresh schedule, returns
    cnt: np.ndarray  # [N_*]: ACTs, PREs, REFRESHes, column commands so far
    ret: np.ndarray  # [channel, slot]: return cycles of issued requests (a ring; limit only)
    flight: np.ndarray  # [channel // pseudo_channels]: requests in flight (limit only)
    clk: int = 0  # first cycle not simulated yet
    entry_last: int = _NEG  # in-order issue: cycle the last request entered
    end: int = 0  # last data returned (memory cycles)
    reads: int = 0
    writes: int = 0
    row_hits: int = 0
    row_misses: int = 0
    row_conflicts: int = 0

    @classmethod
    def new(cls, spec: DramSpec, limit: int = 0) -> DramState:
        o, c = spec.organisation, spec.controller
        nq = o.ranks * o.banks
        bank = np.zeros((o.channels, nq, kernel.N_BANK), dtype=np.int64)
        bank[:, :, kernel.B_ROW] = -1
        rank = np.zeros((o.channels, o.ranks, kernel.N_RANK), dtype=np.int64)
        rank[:, :, :4] = _NEG
        ctl = np.zeros((o.channels, kernel.N_CTL), dtype=np.int64)
        ctl[:, kernel.C_REF_NEXT] = kernel.pack_params(spec)[kernel.P_REF_INT]
        return cls(
            rq=np.zeros((o.channels, c.trans_queue_size), dtype=np.int64),
            cq=np.zeros((o.channels, nq, c.cmd_queue_size), dtype=np.int64),
            qs=np.zeros((o.channels, nq, kernel.N_Q), dtype=np.int64),
            qr=np.full((o.channels, nq), kernel.BIG, dtype=np.int64),
            bank=bank,
            grp=np.zeros((o.channels, o.ranks * o.bankgroups, 2), dtype=np.int64),
            rank=rank,
            ctl=ctl,
            cnt=np.zeros(4, dtype=np.int64),
            ret=np.zeros((o.channels, max(limit, 1)), dtype=np.int64),
            flight=np.zeros(o.channels // o.pseudo_channels, dtype=np.int64),
        )


@dataclass(frozen=True)
class DramStats:
    """Totals of a run: cycles (memory clock, until the last data returns), traffic, row-buffer
    outcomes and energy by component (pJ)."""

    cycles: int
    tck_ns: float
    requests: int
    bytes: int
    row_hits: int
    row_misses: int
    row_conflicts: int
    energy_pj: dict[str, float]

    @property
    def seconds(self) -> float:
        return self.cycles * self.tck_ns * 1e-9

    @property
    def gbps(self) -> float:
        return self.bytes / self.seconds / 1e9 if self.cycles else 0.0

    @property
    def row_hit_rate(self) -> float:
        return self.row_hits / self.requests if self.requests else 0.0

    @property
    def energy_j(self) -> float:
        return sum(self.energy_pj.values()) * 1e-12

    def to_dict(self) -> dict[str, float | int | dict[str, float]]:
        """Flat summary (the keys ``accelsim dram replay --json`` prints)."""
        return {
            "cycles": self.cycles,
            "seconds": self.seconds,
            "requests": self.requests,
            "bytes": self.bytes,
            "gbps": self.gbps,
            "row_hits": self.row_hits,
            "row_misses": self.row_misses,
            "row_conflicts": self.row_conflicts,
            "row_hit_rate": self.row_hit_rate,
            "energy_j": self.energy_j,
            "energy_pj": dict(self.energy_pj),
        }


@dataclass(frozen=True)
class BatchResult:
    """Per-request outcome of one :meth:`DramModel.simulate` call (arrays in input order)."""

    completion: np.ndarray  # int64: memory cycle the last beat of data returns
    issue: np.ndarray  # int64: memory cycle the column command issued
    outcome: np.ndarray  # int8: 0 row hit, 1 miss (bank closed), 2 conflict (other row open)


class DramModel:
    """A stateful bank-aware DRAM: call :meth:`simulate` with request batches in time order.

    Parameters
    ----------
    spec : DramSpec | str
        A standard table, preset name, YAML or DRAMsim3 ``.ini`` path (see :func:`load_dram`).
    issue : {"in-order", "per-channel"}
        Default issue mode of :meth:`simulate`.
    outstanding : int, optional
        Most requests in flight per channel (its ``pseudo_channels`` controllers together), from
        entering the transaction queue until their data returns; None: no limit.
    """

    def __init__(
        self, spec: DramSpec | str, *, issue: IssueMode = "per-channel", outstanding: int | None = None
    ) -> None:
        if issue not in ISSUE_MODES:
            raise ValueError(f"issue must be one of {ISSUE_MODES}, not {issue!r}")
        if outstanding is not None and outstanding < 1:
            raise ValueError(f"outstanding must be a positive integer or None, not {outstanding!r}")
        self.spec = load_dram(spec)
        self.issue: IssueMode = issue
        self.outstanding = outstanding
        self._params = kernel.pack_params(self.spec, outstanding or 0)
        self._qmap = kernel.queue_map(self.spec)
        self.state = DramState.new(self.spec, outstanding or 0)

    def __repr__(self) -> str:
        return f"DramModel({self.spec.name!r}, issue={self.issue!r}, outstanding={self.outstanding!r})"

    def reset(self) -> None:
        """Close every row and clear timers, queues and counters."""
        self.state = DramState.new(self.spec, self.outstanding or 0)

    def simulate(
        self,
        addr: np.ndarray,
        arrival: np.ndarray | None = None,
        *,
        is_write: np.ndarray | None = None,
        issue: IssueMode | None = None,
    ) -> BatchResult:
        """Run one batch of column accesses (in trace order) and update the state.

        The batch runs to completion: a later call's requests queue behind this one's (they
        enter no earlier than the cycle after this batch's last command).

        Parameters
        ----------
        addr : int64 array
            Byte addresses, one access (``spec.organisation.access_bytes``) each.
        arrival : int64 array, optional
            Memory cycle each request becomes available (default: the current end of time).
        is_write : bool array, optional
            True for writes (default: all reads).
        issue : {"in-order", "per-channel"}, optional
            Overrides the model's issue mode for this batch.
        """
        mode = issue or self.issue
        if mode not in ISSUE_MODES:
            raise ValueError(f"issue must be one of {ISSUE_MODES}, not {mode!r}")
        st, spec = self.state, self.spec
        addr = np.asarray(addr, dtype=np.int64)
        n = len(addr)
        if n and addr.min() < 0:
            raise ValueError("addresses must be non-negative")
        arr = np.full(n, st.end, dtype=np.int64) if arrival is None else np.asarray(arrival)
        if len(arr) != n:
            raise ValueError(f"arrival has {len(arr)} entries for {n} addresses")
        wr = np.zeros(n, bool) if is_write is None else np.asarray(is_write, dtype=bool)
        if len(wr) != n:
            raise ValueError(f"is_write has {len(wr)} entries for {n} addresses")
        if n and (arr.min() < 0 or arr.max() > _MAX_TIME):
            raise ValueError(f"arrival cycles must be in 0..{_MAX_TIME}")
        arr = (np.ceil(arr) if arr.dtype.kind == "f" else arr).astype(np.int64, copy=False)
        o = spec.organisation
        bits = [spec.field_bits[f] for f in ("ch", "ra", "bg", "ba", "ro")]
        channel, q, row = (np.empty(n, np.int64) for _ in range(3))  # q: the bank queue within the channel
        _channel_queue_row(
            addr,
            np.array([s for s, _ in bits]),
            np.array([(1 << w) - 1 for _, w in bits]),
            o.ranks,
            o.bankgroups,
            o.banks_per_group,
            o.ranks * o.banks,
            channel,
            q,
            row,
        )
        # per-channel issue: each channel's requests by arrival, then trace order (numpy sorts
        # 16-bit keys by radix); in-order issue takes them in trace order (the kernel reads fifo
        # only for per-channel issue)
        if mode == "in-order":
            fifo = np.zeros(0, dtype=np.int64)
        elif n < 2 or (arr[1:] >= arr[:-1]).all():
            key = channel.astype(np.int16 if o.channels <= 1 << 15 else np.int64)
            fifo = np.argsort(key, kind="stable")
        else:
            fifo = np.lexsort((arr, channel))
        fstart = np.zeros(o.channels + 1, dtype=np.int64)
        np.cumsum(np.bincount(channel, minlength=o.channels), out=fstart[1:])
        issue_cyc = np.zeros(n, dtype=np.int64)
        outcome = np.zeros(n, dtype=np.int8)
        done0 = int(st.cnt[kernel.N_DONE])
        st.clk, st.entry_last = kernel.run(
            mode == "in-order",
            st.clk,
            st.entry_last,
            self._params,
            self._qmap,
            channel,
            q,
            row,
            arr,
            fifo,
            fstart,
            fstart[:-1].copy(),
            np.full(o.channels, st.clk),
            issue_cyc,
            outcome,
            st.rq,
            st.cq,
            st.qs,
            st.qr,
            st.bank,
            st.grp,
            st.rank,
            st.ctl,
            st.cnt,
            st.ret,
            st.flight,
        )
        if st.cnt[kernel.N_DONE] - done0 != n:  # a controller bug, not a user error
            raise RuntimeError("DRAM controller stopped with requests outstanding")
        t = spec.timing
        completion = np.where(wr, t.CWL, t.CL)  # in place below: no temporaries (3 M requests: 48 MB)
        completion += issue_cyc
        completion += spec.burst_cycles
        if n:
            st.end = max(st.end, int(completion.max()))
        nw = int(wr.sum())
        st.writes += nw
        st.reads += n - nw
        st.row_hits += int((outcome == 0).sum())
        st.row_misses += int((outcome == 1).sum())
        st.row_conflicts += int((outcome == 2).sum())
        return BatchResult(completion, issue_cyc, outcome)

    def stats(self) -> DramStats:
        """Totals since construction or :meth:`reset`; energy uses the cycles so far."""
        st, spec = self.state, self.spec
        t, p, o = spec.timing, spec.power, spec.organisation
        cycles = st.end
        scale = p.VDD * o.devices_per_rank * t.tCK_ns  # mA x cycles -> pJ
        rs = st.rank
        open_now = rs[:, :, kernel.R_OPEN] > 0
        active = rs[:, :, kernel.R_ACTIVE] + np.where(open_now, np.maximum(0, cycles - rs[:, :, kernel.R_SINCE]), 0)
        active = np.minimum(active, cycles).sum()
        idle = cycles * o.channels * o.ranks - active
        cnt = st.cnt
        energy = {
            "act": int(cnt[kernel.N_ACT]) * (p.IDD0 - p.IDD3N) * t.tRAS * scale,
            "pre": int(cnt[kernel.N_PRE]) * (p.IDD0 - p.IDD2N) * t.tRP * scale,
            "read": st.reads * (p.IDD4R - p.IDD3N) * spec.burst_cycles * scale,
            "write": st.writes * (p.IDD4W - p.IDD3N) * spec.burst_cycles * scale,
            "refresh": int(cnt[kernel.N_REF]) * (p.IDD5AB - p.IDD3N) * t.tRFC * scale,
            "background": float(active * p.IDD3N + idle * p.IDD2N) * scale,
        }
        n = st.reads + st.writes
        return DramStats(
            cycles=cycles,
            tck_ns=t.tCK_ns,
            requests=n,
            bytes=n * o.access_bytes,
            row_hits=st.row_hits,
            row_misses=st.row_misses,
            row_conflicts=st.row_conflicts,
            energy_pj=energy,
        )


def replay(
    spec: DramSpec | str,
    addr: np.ndarray,
    arrival: np.ndarray | None = None,
    *,
    is_write: np.ndarray | None = None,
    issue: IssueMode = "in-order",
    outstanding: int | None = None,
) -> DramStats:
    """Run one trace through a fresh :class:`DramModel` and return its totals."""
    model = DramModel(spec, issue=issue, outstanding=outstanding)
    model.simulate(addr, np.zeros(len(addr), dtype=np.int64) if arrival is None else arrival, is_write=is_write)
    return model.stats()


def warm() -> None:
    """Compile (or load from numba's on-disk cache) the trace scan and the controller on a tiny trace,
    so that processes started afterwards find them cached instead of each compiling them
    (``scripts/setup.sh`` runs this)."""
    from accelsim.hw.dram.trace import read_dram_trace, write_dram_trace

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "warm.trace"
        write_dram_trace(path, np.arange(64, dtype=np.int64) * 32)
        trace = read_dram_trace(path)
    replay("hbm2-spatten", trace.addr, trace.cycle, is_write=trace.is_write)
