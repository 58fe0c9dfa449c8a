"""The compiled DRAM controller: per-channel command scheduling, one cycle at a time.

Each channel is a controller of the kind DRAMsim3 builds (``src/controller.cc``,
``command_queue.cc``, ``channel_state.cc``; read, not copied), stepped by one numba loop:

- a transaction queue of ``trans_queue_size`` requests; each cycle the oldest request whose
  bank's command queue (``cmd_queue_size``, one queue per bank) has room moves into it;
- each cycle the scheduler visits the bank queues round-robin from the one after the last it
  served and issues the first command that is ready: ACT on a closed bank, READ/WRITE on a row
  hit, PRE on a conflict — a PRE only for the queue's head, and only when no queued request hits
  the open row or the row has served four hits already (FR-FCFS with a row-hit cap);
- ``dual_command`` (HBM): a second command in the same cycle when one is a column command and
  the other a row command;
- timing: per-bank and per-bank-group earliest times of each command kind, raised by every
  command issued, with the JEDEC gaps: ACT->ACT tRC (bank), tRRD_L (bank group), tRRD_S (rank), four ACTs per tFAW;
  ACT->column tRCD, ACT->PRE tRAS, column->PRE tRTP, PRE->ACT tRP; column->column
  ``max(burst, tCCD_L)`` in a bank group, ``max(burst, tCCD_S)`` across groups, ``burst + tRTRS``
  across ranks;
- refresh (DRAMsim3's rank-level staggered policy): every ``tREFI / ranks`` cycles the next rank
  owes a REFRESH; its queues stop, its open banks are precharged, and REFRESH blocks it tRFC;
- an outstanding-request limit (optional): a channel of ``pseudo_channels`` controllers admits no
  request into a transaction queue while ``limit`` of its requests are in flight (entered and
  their data not yet returned, CL + burst after the column command), as the SpAtten RTL's DRAM
  driver refuses requests (dpi/DRAMSimDPIDriverRamulator2.cpp:14,45).

Cycles in which nothing can happen are skipped: an idle channel's next cycle is the earliest
time any queued command becomes ready, a refresh falls due or a request arrives. The cost is a
few bank-queue scans per command, not per cycle.

Writes share the queues and are timed as reads (no write buffer, tWR or tWTR); duplicate reads
of one address are not merged (DRAMsim3 merges them).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from accelsim.hw.dram.spec import DramSpec

BIG = np.int64(1) << 62  # "never"

# per-bank registers (bank[c, q, slot]): earliest next COL / ACT / PRE / REF, open row (-1 when
# precharged), column commands since the ACT, 1 when the row was opened after a conflict
B_COL, B_ACT, B_PRE, B_REF, B_ROW, B_HITS, B_CONFLICT = range(7)
N_BANK = 7
# per bank group (grp[c, rank * bankgroups + group, slot]): earliest next COL / ACT
G_COL, G_ACT = 0, 1
# per-rank registers (rank[c, r, slot]): the last four ACTs (0..3), index of the oldest, open
# banks, cycle the rank last went from all-precharged to active, active cycles so far
R_FAW_I, R_OPEN, R_SINCE, R_ACTIVE = 4, 5, 6, 7
N_RANK = 8
# per-channel registers (ctl[c, slot]): last bank queue served, transaction-queue length,
# refreshes owed, rank owing the first of them, cycle the next one falls due, bank queues that
# have room and a transaction waiting for them (0: no transaction can move), first and count of
# the issued requests whose data is on its way (the ring ret[c, :] holds their return cycles)
C_QIDX, C_RQ_N, C_REF_N, C_REF_RANK, C_REF_NEXT, C_MOVABLE, C_RET_HEAD, C_RET_N = range(8)
N_CTL = 8
# per bank queue (qs[c, q, slot]): occupancy, queued requests that hit the open row, requests
# waiting for it in the transaction queue. Beside it
# qr[c, q]: a lower bound on the cycle the queue's next command can issue, BIG when it is empty
# (timers only grow, so the bound holds until a command enters or leaves the queue or its bank is
# precharged, which reset it to 0)
Q_N, Q_HITS, Q_WAIT = 0, 1, 2
N_Q = 3
# counters (cnt[slot])
N_ACT, N_PRE, N_REF, N_DONE = range(4)
# command kinds
K_NONE, K_ACT, K_PRE, K_COL = -1, 0, 1, 2
# parameters (p[slot]), see pack_params
(P_TQ, P_CQ, P_NQ, P_BANKS, P_BGS, P_RANKS, P_DUAL, P_RC, P_RCD, P_RAS, P_RP, P_RTP, P_CCD_L,
 P_CCD_S, P_CCD_O, P_RRD_L, P_RRD_S, P_FAW, P_RFC, P_REF_INT, P_LIMIT, P_GROUP, P_RET) = range(23)
N_PARAMS = 23


def pack_params(spec: DramSpec, limit: int = 0) -> np.ndarray:
    """The controller's parameter vector of a :class:`~accelsim.hw.dram.spec.DramSpec` and an
    outstanding-request limit per channel (0: none).

    As DRAMsim3 (``src/timing.cc``) does, a standard without bank groups uses the ``_S`` gaps
    inside its single group.
    """
    o, t, c = spec.organisation, spec.timing, spec.controller
    burst = spec.burst_cycles
    one_group = o.bankgroups == 1
    p = np.zeros(N_PARAMS, dtype=np.int64)
    p[P_TQ], p[P_CQ] = c.trans_queue_size, c.cmd_queue_size
    p[P_NQ], p[P_BANKS], p[P_BGS], p[P_RANKS] = o.ranks * o.banks, o.banks, o.bankgroups, o.ranks
    p[P_DUAL] = int(c.dual_command)
    p[P_RC], p[P_RCD], p[P_RAS], p[P_RP], p[P_RTP] = t.rc, t.tRCD, t.tRAS, t.tRP, t.tRTP
    p[P_CCD_L] = max(burst, t.tCCD_S if one_group else t.tCCD_L)
    p[P_CCD_S] = max(burst, t.tCCD_S)
    p[P_CCD_O] = burst + t.tRTRS
    p[P_RRD_L] = t.tRRD_S if one_group else t.tRRD_L
    p[P_RRD_S], p[P_FAW], p[P_RFC] = t.tRRD_S, t.tFAW, t.tRFC
    p[P_REF_INT] = max(1, t.tREFI // o.ranks)
    p[P_LIMIT], p[P_GROUP], p[P_RET] = limit, o.pseudo_channels, t.CL + burst
    return p


def queue_map(spec: DramSpec) -> np.ndarray:
    """[bank queue, (rank, rank * bankgroups + bank group)] of one channel's bank queues."""
    o = spec.organisation
    qi = np.arange(o.ranks * o.banks)
    return np.stack([qi // o.banks, qi // o.banks_per_group], axis=1).astype(np.int64)


@njit(cache=True, _nrt=False, inline="always")
def _queue_resize(c, qi, d_n, d_wait, p, qs, ctl):
    """Change a bank queue's occupancy and waiting transactions, keeping the count of bank
    queues a transaction can move into."""
    before = qs[c, qi, Q_WAIT] > 0 and qs[c, qi, Q_N] < p[P_CQ]
    qs[c, qi, Q_N] += d_n
    qs[c, qi, Q_WAIT] += d_wait
    after = qs[c, qi, Q_WAIT] > 0 and qs[c, qi, Q_N] < p[P_CQ]
    ctl[c, C_MOVABLE] += after - before


@njit(cache=True, _nrt=False, inline="always")
def _issue_act(c, qi, clk, p, qmap, row, cq, qs, bank, grp, rank, cnt):
    r, rg = qmap[qi, 0], qmap[qi, 1]
    opened = row[cq[c, qi, 0]]
    hits = 0
    for k in range(qs[c, qi, Q_N]):
        hits += row[cq[c, qi, k]] == opened
    qs[c, qi, Q_HITS] = hits
    bgs = p[P_BGS]
    for g in range(r * bgs, (r + 1) * bgs):
        gap = p[P_RRD_L] if g == rg else p[P_RRD_S]
        grp[c, g, G_ACT] = max(grp[c, g, G_ACT], clk + gap)
    bank[c, qi, B_ACT] = max(bank[c, qi, B_ACT], clk + p[P_RC])
    bank[c, qi, B_COL] = max(bank[c, qi, B_COL], clk + p[P_RCD])
    bank[c, qi, B_PRE] = max(bank[c, qi, B_PRE], clk + p[P_RAS])
    bank[c, qi, B_ROW] = opened
    bank[c, qi, B_HITS] = 0
    i = rank[c, r, R_FAW_I]
    rank[c, r, i] = clk
    rank[c, r, R_FAW_I] = i + 1 if i < 3 else 0
    if rank[c, r, R_OPEN] == 0:
        rank[c, r, R_SINCE] = clk
    rank[c, r, R_OPEN] += 1
    cnt[N_ACT] += 1


@njit(cache=True, _nrt=False, inline="always")
def _issue_pre(c, qi, clk, conflict, p, qmap, qs, bank, rank, cnt):
    qs[c, qi, Q_HITS] = 0
    bank[c, qi, B_ACT] = max(bank[c, qi, B_ACT], clk + p[P_RP])
    bank[c, qi, B_REF] = max(bank[c, qi, B_REF], clk + p[P_RP])
    bank[c, qi, B_ROW] = -1
    bank[c, qi, B_HITS] = 0
    bank[c, qi, B_CONFLICT] = conflict
    r = qmap[qi, 0]
    rank[c, r, R_OPEN] -= 1
    if rank[c, r, R_OPEN] == 0:
        rank[c, r, R_ACTIVE] += clk - rank[c, r, R_SINCE]
    cnt[N_PRE] += 1


@njit(cache=True, _nrt=False, inline="always")
def _issue_col(c, qi, k, clk, p, qmap, cq, qs, bank, grp, ctl, issue, outcome, cnt):
    r, rg = qmap[qi, 0], qmap[qi, 1]
    bgs = p[P_BGS]
    for g in range(grp.shape[1]):
        if g == rg:
            gap = p[P_CCD_L]
        elif r * bgs <= g < (r + 1) * bgs:
            gap = p[P_CCD_S]
        else:
            gap = p[P_CCD_O]
        grp[c, g, G_COL] = max(grp[c, g, G_COL], clk + gap)
    bank[c, qi, B_PRE] = max(bank[c, qi, B_PRE], clk + p[P_RTP])
    req = cq[c, qi, k]
    issue[req] = clk
    if bank[c, qi, B_HITS] > 0:
        outcome[req] = 0
    else:
        outcome[req] = 2 if bank[c, qi, B_CONFLICT] else 1
    bank[c, qi, B_HITS] += 1
    qs[c, qi, Q_HITS] -= 1
    n = qs[c, qi, Q_N]
    for j in range(k, n - 1):
        cq[c, qi, j] = cq[c, qi, j + 1]
    _queue_resize(c, qi, -1, 0, p, qs, ctl)
    cnt[N_DONE] += 1


@njit(cache=True, _nrt=False, inline="always")
def _bound(c, qi, p, qmap, row, cq, qs, bank, grp, rank):
    """Earliest cycles of a non-empty queue's next row command (ACT on a closed bank; PRE by the
    head when it misses the open row and no queued request hits it or the row served four hits)
    and column command (a queued hit); BIG where there is none."""
    orow = bank[c, qi, B_ROW]
    if orow < 0:
        r = qmap[qi, 0]
        t = max(bank[c, qi, B_ACT], grp[c, qmap[qi, 1], G_ACT],
                rank[c, r, rank[c, r, R_FAW_I]] + p[P_FAW])
        return t, BIG
    hits = qs[c, qi, Q_HITS]
    trow = tcol = BIG
    if row[cq[c, qi, 0]] != orow and (hits == 0 or bank[c, qi, B_HITS] >= 4):
        trow = bank[c, qi, B_PRE]
    if hits > 0:
        tcol = max(bank[c, qi, B_COL], grp[c, qmap[qi, 1], G_COL])
    return trow, tcol


@njit(cache=True, _nrt=False, inline="always")
def _rebound(c, qi, p, qmap, row, cq, qs, qr, bank, grp, rank):
    """Recompute a queue's ready bound after its contents or its bank changed."""
    if qs[c, qi, Q_N] == 0:
        qr[c, qi] = BIG
    else:
        trow, tcol = _bound(c, qi, p, qmap, row, cq, qs, bank, grp, rank)
        qr[c, qi] = min(trow, tcol)


@njit(cache=True, _nrt=False, inline="always")
def _find(c, clk, p, qmap, row, cq, qs, qr, bank, grp, rank, ctl):
    """First ready command, bank queues visited round-robin: (kind, queue, index, next time).

    In a queue, the row command goes first when both are ready (it is the queue's head)."""
    nq = p[P_NQ]
    nxt = BIG
    for qi in range(nq):  # the common case, nothing due, in one pass the compiler vectorizes
        nxt = min(nxt, qr[c, qi])
    if nxt > clk:
        return K_NONE, 0, 0, nxt
    nxt = BIG
    skip = ctl[c, C_REF_RANK] if ctl[c, C_REF_N] > 0 else -1  # the refreshing rank's queues
    q0 = ctl[c, C_QIDX]
    for i in range(nq):
        qi = q0 + 1 + i
        if qi >= nq:
            qi -= nq
        t = qr[c, qi]
        if t > clk:
            nxt = min(nxt, t)
            continue
        if qmap[qi, 0] == skip:
            continue
        trow, tcol = _bound(c, qi, p, qmap, row, cq, qs, bank, grp, rank)
        if trow <= clk:
            ctl[c, C_QIDX] = qi
            return (K_ACT if bank[c, qi, B_ROW] < 0 else K_PRE), qi, 0, nxt
        if tcol <= clk:
            orow = bank[c, qi, B_ROW]
            k = 0
            while row[cq[c, qi, k]] != orow:
                k += 1
            ctl[c, C_QIDX] = qi
            return K_COL, qi, k, nxt
        t = min(trow, tcol)
        qr[c, qi] = t
        nxt = min(nxt, t)
    return K_NONE, 0, 0, nxt


@njit(cache=True, _nrt=False, inline="always")
def _issue(kind, c, qi, k, clk, p, qmap, row, cq, qs, qr, bank, grp, rank, ctl, issue, outcome,
           cnt):
    if kind == K_ACT:
        _issue_act(c, qi, clk, p, qmap, row, cq, qs, bank, grp, rank, cnt)
    elif kind == K_PRE:
        _issue_pre(c, qi, clk, 1, p, qmap, qs, bank, rank, cnt)
    else:
        _issue_col(c, qi, k, clk, p, qmap, cq, qs, bank, grp, ctl, issue, outcome, cnt)
    _rebound(c, qi, p, qmap, row, cq, qs, qr, bank, grp, rank)


@njit(cache=True, _nrt=False, inline="always")
def _refresh(c, clk, p, qmap, row, cq, qs, qr, bank, grp, rank, ctl, cnt):
    """The owed refresh's next step (PRE of an open bank, then REFRESH): (issued, next time)."""
    banks = p[P_BANKS]
    r = ctl[c, C_REF_RANK]
    nxt = BIG
    ready = 0
    for qi in range(r * banks, (r + 1) * banks):
        if bank[c, qi, B_ROW] >= 0:
            t = bank[c, qi, B_PRE]
            if clk >= t:
                _issue_pre(c, qi, clk, 0, p, qmap, qs, bank, rank, cnt)
                _rebound(c, qi, p, qmap, row, cq, qs, qr, bank, grp, rank)
                return True, nxt
        else:
            t = bank[c, qi, B_REF]
            if clk >= t:
                ready += 1
                continue
        nxt = min(nxt, t)
    if ready < banks:
        return False, nxt
    for qi in range(r * banks, (r + 1) * banks):
        bank[c, qi, B_ACT] = max(bank[c, qi, B_ACT], clk + p[P_RFC])
        bank[c, qi, B_REF] = max(bank[c, qi, B_REF], clk + p[P_RFC])
    ctl[c, C_REF_N] -= 1
    ctl[c, C_REF_RANK] = r + 1 if r + 1 < p[P_RANKS] else 0
    cnt[N_REF] += 1
    return True, nxt


@njit(cache=True, _nrt=False, inline="always")
def _tick(c, clk, p, qmap, q, row, rq, cq, qs, qr, bank, grp, rank, ctl, issue, outcome, cnt):
    """One controller cycle of channel ``c``; returns the next cycle it has work."""
    while clk >= ctl[c, C_REF_NEXT]:
        ctl[c, C_REF_N] += 1
        ctl[c, C_REF_NEXT] += p[P_REF_INT]
    nxt = ctl[c, C_REF_NEXT]
    first = K_NONE
    if ctl[c, C_REF_N] > 0:
        done, t = _refresh(c, clk, p, qmap, row, cq, qs, qr, bank, grp, rank, ctl, cnt)
        nxt = min(nxt, t)
        if done:
            first = K_ACT  # a row command
    if first == K_NONE:
        kind, qi, k, t = _find(c, clk, p, qmap, row, cq, qs, qr, bank, grp, rank, ctl)
        nxt = min(nxt, t)
        if kind != K_NONE:
            _issue(kind, c, qi, k, clk, p, qmap, row, cq, qs, qr, bank, grp, rank, ctl, issue,
                   outcome, cnt)
            first = kind
    busy = first != K_NONE
    if busy and p[P_DUAL]:
        kind, qi, k, t = _find(c, clk, p, qmap, row, cq, qs, qr, bank, grp, rank, ctl)
        if kind != K_NONE and (kind == K_COL) != (first == K_COL):
            _issue(kind, c, qi, k, clk, p, qmap, row, cq, qs, qr, bank, grp, rank, ctl, issue,
                   outcome, cnt)
    # one transaction into the command queues: the oldest whose bank queue has room
    if ctl[c, C_MOVABLE]:
        n = ctl[c, C_RQ_N]
        for i in range(n):
            req = rq[c, i]
            qi = q[req]
            if qs[c, qi, Q_N] < p[P_CQ]:
                cq[c, qi, qs[c, qi, Q_N]] = req
                _queue_resize(c, qi, 1, -1, p, qs, ctl)
                qs[c, qi, Q_HITS] += row[req] == bank[c, qi, B_ROW]
                _rebound(c, qi, p, qmap, row, cq, qs, qr, bank, grp, rank)
                for j in range(i, n - 1):
                    rq[c, j] = rq[c, j + 1]
                ctl[c, C_RQ_N] = n - 1
                busy = True
                break
    if not busy:
        return nxt
    # after a busy cycle: the next cycle if a transaction may move, a refresh is owed or a queue
    # is due by then, else the earliest queue bound or refresh
    if ctl[c, C_REF_N] > 0 or ctl[c, C_MOVABLE]:
        return clk + 1
    nxt = ctl[c, C_REF_NEXT]
    for qi in range(p[P_NQ]):
        nxt = min(nxt, qr[c, qi])
    return max(nxt, clk + 1)


@njit(cache=True, _nrt=False, inline="always")
def _full(c, p, flight):
    """Channel ``c``'s group has its limit of requests in flight."""
    return p[P_LIMIT] > 0 and flight[c // p[P_GROUP]] >= p[P_LIMIT]


@njit(cache=True, _nrt=False, inline="always")
def _freed(c, p, ret, ctl):
    """Earliest cycle a request of channel ``c``'s group returns its data (BIG: none issued)."""
    g0 = c // p[P_GROUP] * p[P_GROUP]
    t = BIG
    for k in range(g0, g0 + p[P_GROUP]):
        if ctl[k, C_RET_N] > 0:
            t = min(t, ret[k, ctl[k, C_RET_HEAD]])
    return t


@njit(cache=True, _nrt=False, inline="always")
def _retire(clk, p, ret, ctl, flight):
    """Free the limit's slots of every request whose data has returned by ``clk``."""
    cap = ret.shape[1]
    for c in range(ctl.shape[0]):
        while ctl[c, C_RET_N] > 0 and ret[c, ctl[c, C_RET_HEAD]] <= clk:
            h = ctl[c, C_RET_HEAD] + 1
            ctl[c, C_RET_HEAD] = h if h < cap else 0
            ctl[c, C_RET_N] -= 1
            flight[c // p[P_GROUP]] -= 1


@njit(cache=True, _nrt=False)
def run(in_order, clk0, entry_last, p, qmap, ch, q, row, arrival, fifo, fstart, fptr, next_evt,
        issue, outcome, rq, cq, qs, qr, bank, grp, rank, ctl, cnt, ret, flight):
    """Serve every request (arrays in trace order) from cycle ``clk0`` on.

    ``in_order``: at most one request enters per cycle, in trace order, no earlier than
    ``entry_last + 1``, and a full transaction queue stalls the rest. Otherwise each channel
    takes its requests (``fifo[fstart[c]:fstart[c + 1]]``, in arrival order) as soon as they
    arrive and its queue has room; ``fptr`` (start: ``fstart[:-1]``) marks the next one.
    ``next_evt`` (start: ``clk0``) holds each channel's next busy cycle. Fills ``issue``
    (column command cycle) and ``outcome`` (0 hit, 1 miss, 2 conflict); returns (first cycle
    not simulated, last entry cycle). With ``p[P_LIMIT]`` set, ``flight`` counts each channel
    group's requests in flight and ``ret`` (a ring per channel, ``p[P_LIMIT]`` long) the cycles
    its issued ones return; a request enters only while its group is below the limit.

    Nothing here allocates, so the kernel runs without numba's reference counting
    (``_nrt=False``) and the helpers are inlined: otherwise every helper call pays two atomic
    operations per array argument, which tripled the run time.
    """
    n = len(ch)
    nch = ctl.shape[0]
    tq = p[P_TQ]
    ptr = 0
    cpu_next = max(clk0, entry_last + 1) if in_order and n > 0 else BIG
    target = cnt[N_DONE] + n
    limited = p[P_LIMIT] > 0
    group = p[P_GROUP]
    cap = ret.shape[1]
    clk = clk0
    while cnt[N_DONE] < target:
        clk = cpu_next
        for c in range(nch):
            clk = min(clk, next_evt[c])
        if clk >= BIG:
            break
        if limited:
            _retire(clk, p, ret, ctl, flight)
        for g0 in range(0, nch, group):  # channel groups (one channel each without pseudo-channels)
            due = False
            for c in range(g0, g0 + group):
                if next_evt[c] > clk:
                    continue
                due = True
                done = cnt[N_DONE]
                next_evt[c] = _tick(c, clk, p, qmap, q, row, rq, cq, qs, qr, bank, grp, rank, ctl,
                                    issue, outcome, cnt)
                if limited and cnt[N_DONE] > done:  # a column command: its data returns later
                    back = clk + p[P_RET]
                    i = ctl[c, C_RET_HEAD] + ctl[c, C_RET_N]
                    ret[c, i - cap if i >= cap else i] = back
                    ctl[c, C_RET_N] += 1
                    for k in range(g0, g0 + group):  # wake a channel waiting on the limit
                        if k != c:
                            next_evt[k] = min(next_evt[k], back)
            if in_order or not due:
                continue
            # requests enter the group's transaction queues in arrival, then trace, order
            while not _full(g0, p, flight):
                c, at, first = -1, clk + 1, n
                for k in range(g0, g0 + group):
                    if fptr[k] < fstart[k + 1] and ctl[k, C_RQ_N] < tq:
                        req = fifo[fptr[k]]
                        if arrival[req] < at or (arrival[req] == at and req < first):
                            c, at, first = k, arrival[req], req
                if c < 0:
                    break
                req = fifo[fptr[c]]
                rq[c, ctl[c, C_RQ_N]] = req
                ctl[c, C_RQ_N] += 1
                flight[c // group] += 1
                _queue_resize(c, q[req], 0, 1, p, qs, ctl)
                fptr[c] += 1
            for c in range(g0, g0 + group):
                if ctl[c, C_MOVABLE]:  # a transaction can move on next cycle
                    next_evt[c] = min(next_evt[c], clk + 1)
                if fptr[c] < fstart[c + 1] and ctl[c, C_RQ_N] < tq:
                    t = arrival[fifo[fptr[c]]]
                    if _full(c, p, flight):
                        t = max(t, _freed(c, p, ret, ctl))
                    next_evt[c] = min(next_evt[c], max(clk + 1, t))
        if in_order and clk >= cpu_next:
            c = ch[ptr]
            if arrival[ptr] > clk:
                cpu_next = arrival[ptr]
            elif ctl[c, C_RQ_N] < tq and not _full(c, p, flight):
                rq[c, ctl[c, C_RQ_N]] = ptr
                ctl[c, C_RQ_N] += 1
                flight[c // group] += 1
                _queue_resize(c, q[ptr], 0, 1, p, qs, ctl)
                if ctl[c, C_MOVABLE]:  # a transaction can move on next cycle
                    next_evt[c] = clk + 1
                entry_last = clk
                ptr += 1
                cpu_next = max(clk + 1, arrival[ptr]) if ptr < n else BIG
            elif ctl[c, C_RQ_N] < tq:  # the limit: wait for a return or the group's next command
                t = _freed(c, p, ret, ctl)
                g0 = c // group * group
                for k in range(g0, g0 + group):
                    t = min(t, next_evt[k])
                cpu_next = max(clk + 1, t)
            else:
                cpu_next = next_evt[c]
    return clk + 1, entry_last
