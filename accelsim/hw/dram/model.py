"""Bank-aware DRAM timing and energy, vectorized over request arrays.

Each request is one column access (READ or WRITE of ``access_bytes``) at a byte address. The model
decodes the address (channel, rank, bank group, bank, row), orders each channel's requests the
way an FR-FCFS controller would (row hits within a ``trans_queue_size`` window join the first
request to their row), classifies them as row hits, misses (bank closed) and conflicts (another
row open), and finds the earliest command times that satisfy the JEDEC constraints that govern
read streams:

- data bus: column commands ``max(burst, tCCD_L)`` apart in a bank group, ``max(burst,
  tCCD_S)`` across groups, ``burst + tRTRS`` across ranks;
- row cycle: ACT->READ ``tRCD``, ACT->ACT ``tRC``, ACT->PRE ``tRAS``, READ->PRE ``tRTP``,
  PRE->ACT ``tRP`` in a bank; ACT->ACT ``tRRD_S/L`` and at most four ACTs per ``tFAW`` in a rank;
- command bus: one command per cycle, or one row plus one column command (``dual_command``, HBM);
- front end and queues: a request enters its channel's transaction queue
  (``trans_queue_size``) once the request that many places ahead of it has moved on, and its
  bank's command queue (``cmd_queue_size``) once the request that many places ahead in the bank
  has issued; one transaction per cycle moves between them. In ``in-order`` issue at most one
  request per cycle enters, in trace order, and a full channel stalls the trace (as
  ``dramsim3main -t`` does); in ``per-channel`` issue each channel's requests queue on their own;
- scheduler: shared buses serve commands in the order they become ready, and a backlogged bus
  picks among the next few ready requests the one with the shortest gap (as a scheduler that
  issues the first ready command does);
- refresh: every ``tREFI`` each rank is blocked for ``tRFC + tRP`` (ranks staggered), as
  DRAMsim3's ``RANK_LEVEL_STAGGERED`` policy does.

Every constraint is a max-plus recurrence ``t[i] >= t[j] + gap`` along one ordering (channel,
bank, rank, ...). Each chain is solved for all requests at once with a cumulative maximum; the
chains are applied in turn until no time moves (a fixed point), over chunks of ``CHUNK``
requests that hand their state (open rows, timers, queue contents) to the next. Python loops run
per chunk and per round, never per request.

Energy follows DRAMsim3/DRAMPower: per ACT ``VDD (IDD0-IDD3N) tRAS``, per PRE ``VDD (IDD0-IDD2N)
tRP``, per READ ``VDD (IDD4R-IDD3N) burst``, per REFRESH ``VDD (IDD5AB-IDD3N) tRFC``, background
``VDD IDD3N`` per cycle on ranks that were used and ``VDD IDD2N`` on idle ones, times devices per
rank and ``tCK``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from accelsim.hw.dram.spec import DramSpec, load_dram

IssueMode = Literal["in-order", "per-channel"]
ISSUE_MODES: tuple[str, ...] = ("in-order", "per-channel")
_NEG = -1e18  # "no constraint" time
_SEG = float(1 << 40)  # offset that separates segments in a cumulative maximum
_MAX_TIME = float(1 << 39)  # cycles: times stay below _SEG, segments below 2**13 (exact floats)
_MAX_ROUNDS = 60  # fixed-point rounds per chunk before the last round is kept
_PICK = 4  # requests a backlogged scheduler looks at to pick the next command
CHUNK = 512  # requests solved together, at least (see DramModel.chunk)
CHUNK_PER_CHANNEL = 64  # and at least this many per channel


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


def _scan(lb: np.ndarray, gap: np.ndarray, seg: np.ndarray) -> np.ndarray:
    """Solve ``t[i] = max(lb[i], t[i-1] + gap[i])`` within each segment (``seg`` sorted)."""
    g = np.cumsum(gap)
    v = lb - g + seg * _SEG
    np.maximum.accumulate(v, out=v)
    return v - seg * _SEG + g


def _first_in_segment(seg: np.ndarray) -> np.ndarray:
    first = np.ones(len(seg), dtype=bool)
    first[1:] = seg[1:] != seg[:-1]
    return first


def _index_in_segment(first: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... restarting where ``first`` is set."""
    idx = np.arange(len(first))
    return idx - np.maximum.accumulate(np.where(first, idx, 0))


def _lagged(
    values: np.ndarray, order: np.ndarray, seg: np.ndarray, lag: int, history: np.ndarray
) -> np.ndarray:
    """For each element, the value ``lag`` places before it along ``order`` in its segment;
    before the batch, from ``history[segment]`` (the segment's last ``lag`` values, oldest first).
    """
    k = _index_in_segment(_first_in_segment(seg))
    out = np.empty(len(order))
    inside = k >= lag
    pos = np.arange(len(order))
    out[order[inside]] = values[order[pos[inside] - lag]]
    out[order[~inside]] = history[seg[~inside], k[~inside]]
    return out


def _push(history: np.ndarray, seg: np.ndarray, values: np.ndarray) -> None:
    """Append ``values`` (grouped by ``seg``, in order) to each segment's last-n ``history``."""
    n_keep = history.shape[1]
    count = np.bincount(seg, minlength=history.shape[0])
    shift = np.arange(n_keep)[None, :] - count[:, None]
    keep = shift >= 0
    new = np.full_like(history, _NEG)
    rows = np.broadcast_to(np.arange(history.shape[0])[:, None], history.shape)
    new[rows[keep], shift[keep]] = history[keep]
    back = count[seg] - 1 - _index_in_segment(_first_in_segment(seg))  # 0 = newest
    mine = back < n_keep
    new[seg[mine], n_keep - 1 - back[mine]] = values[mine]
    history[:] = new


def _bus(
    lb: np.ndarray,
    ch: np.ndarray,
    rank: np.ndarray,
    bg: np.ndarray,
    gaps: tuple[int, int, int],
    cost: np.ndarray | None,
) -> np.ndarray:
    """Serve requests on a per-channel bus in the order they become ready (``lb``).

    Consecutive commands are ``gaps[0]`` apart in the same bank group, ``gaps[1]`` in another
    group of the rank, ``gaps[2]`` across ranks; with ``cost`` the gap is at least ``cost``.
    """
    order = np.argsort(ch * _SEG + lb, kind="stable")
    c, r, g = ch[order], rank[order], bg[order]
    first = _first_in_segment(c)
    # a scheduler with a backlog picks, among the next few requests, one that can go soonest
    # after the previous command (another bank group, then the same rank): the gap before
    # each position is the smallest over that choice
    m = len(order)
    gap = np.full(m, float(max(gaps)))
    for j in range(min(_PICK, m - 1)):
        cand = slice(1 + j, m)
        prev = slice(0, m - 1 - j)
        same_rank = r[cand] == r[prev]
        pair = np.where(same_rank & (g[cand] == g[prev]), gaps[0],
                        np.where(same_rank, gaps[1], gaps[2]))
        here = gap[1:m - j]
        np.minimum(here, np.where(c[cand] == c[1:m - j], pair, here), out=here)
    if cost is not None:
        gap = np.maximum(gap, cost[order])
    gap[first] = 0.0
    out = np.empty(len(lb))
    out[order] = _scan(lb[order], gap, c.astype(np.float64))
    return out


def _faw(act: np.ndarray, rank: np.ndarray, history: np.ndarray, tfaw: int) -> np.ndarray:
    """Lower bound from tFAW: in each rank, ACT k (in time order) >= ACT k-4 + tFAW.

    ``history`` holds each rank's last four ACTs before this batch (oldest first).
    """
    order = np.argsort(rank * _SEG + act, kind="stable")
    r = rank[order]
    k = _index_in_segment(_first_in_segment(r))
    lb = act[order].copy()
    early = k < 4
    lb[early] = np.maximum(lb[early], history[r[early], k[early]] + tfaw)
    cls = np.lexsort((k, k % 4, r))  # four interleaved chains per rank
    seg = (r[cls] * 4 + k[cls] % 4).astype(np.float64)
    res = np.empty(len(order))
    res[cls] = _scan(lb[cls], np.where(_first_in_segment(seg), 0.0, float(tfaw)), seg)
    out = np.empty(len(act))
    out[order] = res
    return out


@dataclass
class DramState:
    """What the DRAM remembers between calls: open rows, timers, queue contents, counters."""

    open_row: np.ndarray  # per bank, -1 when precharged
    act_ready: np.ndarray  # per bank: earliest next ACT (tRC, tRTP + tRP)
    col_last: np.ndarray  # per channel: last column command
    act_last: np.ndarray  # per channel: last ACT
    front_last: np.ndarray  # per channel: last transaction moved into the command queues
    faw: np.ndarray  # per rank: the last four ACTs (oldest first)
    tq: np.ndarray  # per channel: when its last trans_queue_size requests left that queue
    cq: np.ndarray  # per bank: column-command times of its last cmd_queue_size requests
    entry_last: float = _NEG  # in-order issue: last request accepted
    end: float = 0.0  # last data returned (memory cycles)
    counts: dict[str, int] = field(default_factory=dict)
    ranks_used: set[int] = field(default_factory=set)

    @classmethod
    def new(cls, spec: DramSpec) -> DramState:
        o, c = spec.organisation, spec.controller
        nranks = o.channels * o.ranks
        nbanks = nranks * o.banks
        return cls(
            open_row=np.full(nbanks, -1, dtype=np.int64),
            act_ready=np.full(nbanks, _NEG),
            col_last=np.full(o.channels, _NEG),
            act_last=np.full(o.channels, _NEG),
            front_last=np.full(o.channels, _NEG),
            faw=np.full((nranks, 4), _NEG),
            tq=np.full((o.channels, c.trans_queue_size), _NEG),
            cq=np.full((nbanks, c.cmd_queue_size), _NEG),
            counts=dict.fromkeys(
                ("reads", "writes", "row_hits", "row_misses", "row_conflicts", "acts", "pres"),
                0,
            ),
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
    chunk : int, optional
        Requests solved together; longer batches run chunk by chunk through the state.
        Default: ``max(CHUNK, CHUNK_PER_CHANNEL x channels)``.
    """

    def __init__(
        self, spec: DramSpec | str, *, issue: IssueMode = "per-channel", chunk: int | None = None
    ) -> None:
        if issue not in ISSUE_MODES:
            raise ValueError(f"issue must be one of {ISSUE_MODES}, not {issue!r}")
        if chunk is not None and chunk < 1:
            raise ValueError(f"chunk must be a positive integer, not {chunk!r}")
        self.spec = load_dram(spec)
        o = self.spec.organisation
        nbanks = o.channels * o.ranks * o.banks
        if nbanks > 1 << 13:
            raise ValueError(f"at most {1 << 13} banks in all, not {nbanks}")
        self.issue: IssueMode = issue
        self.chunk = chunk or max(CHUNK, CHUNK_PER_CHANNEL * self.spec.organisation.channels)
        self.state = DramState.new(self.spec)

    def __repr__(self) -> str:
        return f"DramModel({self.spec.name!r}, issue={self.issue!r}, chunk={self.chunk})"

    def reset(self) -> None:
        """Close every row and clear timers, queues and counters."""
        self.state = DramState.new(self.spec)

    # ------------------------------------------------------------------ refresh time maps
    def _refresh_params(self, rank: np.ndarray) -> tuple[np.ndarray, float, float]:
        t, o = self.spec.timing, self.spec.organisation
        phase = ((rank % o.ranks) + 1) * (t.tREFI / o.ranks)
        return phase, float(t.tREFI), float(t.tRFC + t.tRP)

    def _to_work(self, wall: np.ndarray, rank: np.ndarray) -> np.ndarray:
        """Wall-clock cycles -> refresh-free cycles of each request's rank."""
        phase, period, block = self._refresh_params(rank)
        k = np.floor((wall - phase) / period)
        off = wall - phase - k * period
        return np.where(wall < phase, wall, wall - k * block - np.minimum(off, block))

    def _to_wall(self, work: np.ndarray, rank: np.ndarray) -> np.ndarray:
        """Refresh-free cycles -> wall-clock cycles (refresh blocks inserted)."""
        phase, period, block = self._refresh_params(rank)
        n = np.where(work < phase, 0.0, np.floor((work - phase) / (period - block)) + 1)
        return work + n * block

    # ------------------------------------------------------------------ the model
    def simulate(
        self,
        addr: np.ndarray,
        arrival: np.ndarray | None = None,
        *,
        is_write: np.ndarray | None = None,
        issue: IssueMode | None = None,
    ) -> BatchResult:
        """Run one batch of column accesses (in trace order) and update the state.

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
        addr = np.asarray(addr, dtype=np.int64)
        n = len(addr)
        if n and addr.min() < 0:
            raise ValueError("addresses must be non-negative")
        arr = (np.full(n, self.state.end) if arrival is None
               else np.asarray(arrival, dtype=np.float64))
        if len(arr) != n:
            raise ValueError(f"arrival has {len(arr)} entries for {n} addresses")
        wr = np.zeros(n, bool) if is_write is None else np.asarray(is_write, dtype=bool)
        if len(wr) != n:
            raise ValueError(f"is_write has {len(wr)} entries for {n} addresses")
        if n and (arr.min() < 0 or arr.max() > _MAX_TIME):
            raise ValueError(f"arrival cycles must be in 0..{int(_MAX_TIME)}")
        completion = np.empty(n, dtype=np.int64)
        issue_cyc = np.empty(n, dtype=np.int64)
        outcome = np.empty(n, dtype=np.int8)
        for lo in range(0, n, self.chunk):
            sl = slice(lo, lo + self.chunk)
            completion[sl], issue_cyc[sl], outcome[sl] = self._chunk(
                addr[sl], arr[sl], wr[sl], mode)
        return BatchResult(completion, issue_cyc, outcome)

    def _chunk(
        self, addr: np.ndarray, arr_wall: np.ndarray, wr: np.ndarray, mode: str
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        spec, st = self.spec, self.state
        t, o, c = spec.timing, spec.organisation, spec.controller
        n = len(addr)
        d = decode(spec, addr)
        arr = self._to_work(arr_wall, d.rank)
        burst = spec.burst_cycles
        lookahead = c.trans_queue_size + c.cmd_queue_size

        # --- per-channel FIFO (arrival) order
        fifo = np.lexsort((arr, d.channel))  # stable: trace order within equal arrivals
        ch_f = d.channel[fifo]
        first_f = _first_in_segment(ch_f)
        pos_in_ch = _index_in_segment(first_f)
        # --- service order. FR-FCFS: within a trans_queue_size window, later requests to a row
        # join the first. Per-bank queues served round-robin: a request's slot is one after
        # its bank's previous request, but no earlier than lookahead places before its own
        # position (the requests the transaction and command queues hold).
        window = pos_in_ch // c.trans_queue_size
        bank_f = d.bank[fifo]
        key = ((ch_f * (n // c.trans_queue_size + 1) + window) * (o.ranks * o.banks)
               + bank_f % (o.ranks * o.banks)) * o.rows + d.row[fifo]
        _, first_idx, inv = np.unique(key, return_index=True, return_inverse=True)
        group_pos = pos_in_ch[first_idx[inv]]
        in_bank = np.lexsort((pos_in_ch, group_pos, bank_f))
        bank_seg = bank_f[in_bank].astype(np.float64)
        slot = np.empty(n)
        slot[in_bank] = _scan((group_pos[in_bank] - lookahead).astype(np.float64),
                              np.where(_first_in_segment(bank_seg), 0.0, 1.0), bank_seg)
        svc = fifo[np.lexsort((pos_in_ch, slot, ch_f))]  # request ids in service order

        ch_s, bank_s, row_s = d.channel[svc], d.bank[svc], d.row[svc]
        rank_s, bg_s = d.rank[svc], d.bankgroup[svc]

        # --- row-buffer outcome (previous access to the same bank in service order)
        by_bank = np.argsort(bank_s, kind="stable")
        bank_b = bank_s[by_bank]
        first_b = _first_in_segment(bank_b)
        prev_row_b = np.empty(n, dtype=np.int64)
        prev_row_b[1:] = row_s[by_bank][:-1]
        prev_row_b[first_b] = st.open_row[bank_b[first_b]]
        outcome_b = np.where(prev_row_b == row_s[by_bank], 0, np.where(prev_row_b < 0, 1, 2))
        outcome = np.empty(n, dtype=np.int8)
        outcome[by_bank] = outcome_b
        start = outcome > 0  # run starts: need an ACT (and a PRE on a conflict)
        conflict = outcome == 2

        # --- bank chains
        bank_runs = by_bank[start[by_bank]]  # service positions of run starts, bank order
        run_bank = bank_s[bank_runs]
        run_first = _first_in_segment(run_bank)
        run_gap = np.where(run_first, 0.0, float(t.rc))
        prev_in_bank = np.full(n, -1)
        prev_in_bank[by_bank[1:]] = by_bank[:-1]
        prev_in_bank[by_bank[first_b]] = -1
        prev_last = prev_in_bank[bank_runs]  # last access of the bank's previous run
        same_bank_gap = np.where(first_b, 0.0, float(max(burst, t.tCCD_L)))
        act_pos = np.flatnonzero(start)
        row_cmds = conflict[act_pos] + 1.0 if c.dual_command else None
        col_cost = None if c.dual_command else 1.0 + start + conflict
        # --- queues: a request enters the transaction queue once the one trans_queue_size
        # places before it in its channel has moved on, and its bank's command queue once the
        # one cmd_queue_size places before it in the bank has issued
        svc_of = np.empty(n, dtype=np.int64)
        svc_of[svc] = np.arange(n)
        fifo_s = svc_of[fifo]  # service positions in channel FIFO order

        # --- lower bounds from the carried state
        col_lb0 = st.col_last[ch_s] + burst
        act_lb0 = np.full(n, _NEG)
        act_lb0[bank_runs[run_first]] = st.act_ready[run_bank[run_first]]
        act_lb0 = np.maximum(act_lb0, st.act_last[ch_s] + t.tRRD_S)
        front_lb0 = st.front_last[ch_s] + 1

        # --- fixed point over all chains (times in refresh-free cycles). Shared resources
        # (command and data buses, the rank's ACT window) serve requests in the order they
        # become ready, as a scheduler that picks the first ready command does.
        col = np.full(n, _NEG)  # column command, service order
        act = np.full(n, _NEG)  # ACT of run starts, service order
        front = np.full(n, _NEG)  # entry into the command queues, service order
        entry = np.full(n, _NEG)  # entry into the transaction queue, request order
        for _ in range(_MAX_ROUNDS):
            old = (col.copy(), act.copy(), front.copy())
            tq_free = _lagged(front, fifo_s, ch_f, c.trans_queue_size, st.tq)
            entry = np.empty(n)
            entry[svc] = np.maximum(arr[svc], tq_free)
            if mode == "in-order":  # one request per cycle, in trace order
                entry = _scan(np.maximum(entry, st.entry_last + 1),
                              np.r_[0.0, np.ones(n - 1)], np.zeros(n))
            else:  # each channel's requests in order, any number per cycle
                entry[fifo] = _scan(entry[fifo], np.zeros(n), ch_f.astype(np.float64))
            # one transaction per channel per cycle into the command queues
            cq_free = _lagged(col, by_bank, bank_b, c.cmd_queue_size, st.cq)
            lbq = np.maximum(np.maximum(entry[svc] + 1, front_lb0), cq_free + 1)
            front = _bus(lbq, ch_s, rank_s, bg_s, (1, 1, 1), None)
            ready = front + 1  # earliest command of each request
            # ACTs: after PRE + tRP on a conflict, the bank's row cycle, tFAW, tRRD
            prev_run_col = np.where(prev_last >= 0, col[np.maximum(prev_last, 0)], _NEG)
            lb = np.maximum(np.where(conflict, ready + t.tRP, ready), act_lb0)
            a_runs = np.maximum(lb[bank_runs], prev_run_col + t.tRTP + t.tRP)
            act[bank_runs] = _scan(a_runs, run_gap, run_bank.astype(np.float64))
            a = act[act_pos]
            a = np.maximum(a, _faw(a, rank_s[act_pos], st.faw, t.tFAW))
            act[act_pos] = _bus(a, ch_s[act_pos], rank_s[act_pos], bg_s[act_pos],
                                (t.tRRD_L, t.tRRD_S, 1), row_cmds)
            # column commands: ACT + tRCD, same bank tCCD_L, command bus, data bus
            cl = np.maximum(ready, col_lb0)
            cl = np.where(start, np.maximum(cl, act + t.tRCD), cl)
            cl[by_bank] = _scan(cl[by_bank], same_bank_gap, bank_b.astype(np.float64))
            if col_cost is not None:
                cl = np.maximum(cl, _bus(ready, ch_s, rank_s, bg_s, (1, 1, 1), col_cost))
            col = _bus(cl, ch_s, rank_s, bg_s,
                       (max(burst, t.tCCD_L), max(burst, t.tCCD_S), burst + t.tRTRS), None)
            if all(np.array_equal(x, y) for x, y in zip((col, act, front), old, strict=True)):
                break

        # --- state for the next chunk
        st.open_row[bank_b] = row_s[by_bank]  # bank order: the last write per bank wins
        a_runs = act[bank_runs]
        last_act = np.full(len(st.act_ready), _NEG)
        np.maximum.at(last_act, run_bank, a_runs)
        last_col = np.full(len(st.act_ready), _NEG)
        np.maximum.at(last_col, bank_s, col)
        st.act_ready = np.maximum(st.act_ready,
                                  np.maximum(last_act + t.rc, last_col + t.tRTP + t.tRP))
        np.maximum.at(st.col_last, ch_s, col)
        np.maximum.at(st.act_last, ch_s[act_pos], act[act_pos])
        np.maximum.at(st.front_last, ch_s, front)
        faw_order = np.argsort(rank_s[act_pos] * _SEG + act[act_pos], kind="stable")
        _push(st.faw, rank_s[act_pos][faw_order], act[act_pos][faw_order])
        _push(st.tq, ch_f, front[fifo_s])
        _push(st.cq, bank_b, col[by_bank])
        if mode == "in-order":
            st.entry_last = max(st.entry_last, float(entry.max()))

        # --- back to wall-clock cycles, results in request order
        col_wall = np.ceil(self._to_wall(col, rank_s))
        done_s = col_wall + np.where(wr[svc], t.CWL, t.CL) + burst
        st.end = max(st.end, float(done_s.max()))
        cnt = st.counts
        nw = int(wr.sum())
        cnt["writes"] += nw
        cnt["reads"] += n - nw
        cnt["row_hits"] += int((~start).sum())
        cnt["row_conflicts"] += int(conflict.sum())
        cnt["row_misses"] += int((start & ~conflict).sum())
        cnt["acts"] += len(act_pos)
        cnt["pres"] += int(conflict.sum())
        st.ranks_used.update(np.unique(d.rank).tolist())
        completion = np.empty(n, dtype=np.int64)
        completion[svc] = done_s
        issue_cyc = np.empty(n, dtype=np.int64)
        issue_cyc[svc] = col_wall
        out = np.empty(n, dtype=np.int8)
        out[svc] = outcome
        return completion, issue_cyc, out

    def stats(self) -> DramStats:
        """Totals since construction or :meth:`reset`; energy uses the cycles so far."""
        st, spec = self.state, self.spec
        t, p, o = spec.timing, spec.power, spec.organisation
        cycles = int(np.ceil(st.end))
        scale = p.VDD * o.devices_per_rank * t.tCK_ns  # mA x cycles -> pJ
        nranks = o.channels * o.ranks
        ranks = np.arange(nranks)
        phase, period, _ = self._refresh_params(ranks)
        refreshes = np.where(cycles < phase, 0, np.floor((cycles - phase) / period) + 1).sum()
        used = len(st.ranks_used)
        cnt = st.counts
        energy = {
            "act": cnt["acts"] * (p.IDD0 - p.IDD3N) * t.tRAS * scale,
            "pre": cnt["pres"] * (p.IDD0 - p.IDD2N) * t.tRP * scale,
            "read": cnt["reads"] * (p.IDD4R - p.IDD3N) * spec.burst_cycles * scale,
            "write": cnt["writes"] * (p.IDD4W - p.IDD3N) * spec.burst_cycles * scale,
            "refresh": float(refreshes) * (p.IDD5AB - p.IDD3N) * t.tRFC * scale,
            "background": cycles * (used * p.IDD3N + (nranks - used) * p.IDD2N) * scale,
        }
        n = cnt["reads"] + cnt["writes"]
        return DramStats(
            cycles=cycles, tck_ns=t.tCK_ns, requests=n, bytes=n * o.access_bytes,
            row_hits=cnt["row_hits"], row_misses=cnt["row_misses"],
            row_conflicts=cnt["row_conflicts"], energy_pj=energy,
        )


def replay(
    spec: DramSpec | str,
    addr: np.ndarray,
    arrival: np.ndarray | None = None,
    *,
    is_write: np.ndarray | None = None,
    issue: IssueMode = "in-order",
) -> DramStats:
    """Run one trace through a fresh :class:`DramModel` and return its totals."""
    model = DramModel(spec, issue=issue)
    model.simulate(addr, np.zeros(len(addr)) if arrival is None else arrival,
                   is_write=is_write)
    return model.stats()
