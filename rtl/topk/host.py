"""A top-k engine behind a UART: the board's top level (protocol in :mod:`accelsim.rtl.topk.protocol`).

The scores of a job are kept in ``lanes`` banks of block RAM (score i in bank ``i % lanes``) and
streamed into the engine one beat per cycle as it takes them; the items it emits are written,
never back-pressured, into banks of the same count at the running item count, so the cycle
counter sees the engine run as the free-flow bench does.
"""

from amaranth import Array, Cat, Module, Signal, unsigned
from amaranth.lib import memory, wiring
from amaranth.lib.wiring import In, Out

from accelsim.rtl.topk.common import build_component
from accelsim.rtl.topk.protocol import FIELD_BITS, NAK, OP_CYCLES, OP_K, OP_LOAD, OP_READ, OP_START, REPLY, SYNC
from accelsim.rtl.uart import UartRx, UartTx, check_divisor
from accelsim.topk.base import TopKParams
from accelsim.topk.statistical import Z_INT_BITS, StatisticalParams

CYCLE_BITS = 32  # cycle counter width (the largest job, ~max_n**2 / P cycles, stays far below)


def check_host_params(params: TopKParams) -> TopKParams:
    """``params`` if their fields fit the protocol's 16-bit fields; else ValueError with every reason."""
    errors = []
    if params.index_width + 1 > FIELD_BITS:
        errors.append(f"index_width must be at most {FIELD_BITS - 1} behind the UART, not {params.index_width!r}")
    if params.width > FIELD_BITS:
        errors.append(f"width must be at most {FIELD_BITS} behind the UART, not {params.width!r}")
    if isinstance(params, StatisticalParams) and Z_INT_BITS + params.z_frac_bits > FIELD_BITS:
        errors.append(
            f"z_frac_bits must be at most {FIELD_BITS - Z_INT_BITS} behind the UART, not {params.z_frac_bits!r}"
        )
    if errors:
        raise ValueError("; ".join(errors))
    return params


class TopKHost(wiring.Component):
    """A top-k engine, its score and item buffers, and a UART command decoder.

    Parameters
    ----------
    engine : name of a top-k engine with RTL.
    params : its parameters (:func:`check_host_params`).
    divisor : UART clock cycles per bit.

    Members
    -------
    rx : In(1, init=1) — serial input from the host.
    tx : Out(1) — serial output to the host.
    """

    rx: In(1, init=1)
    tx: Out(1)

    def __init__(self, engine: str, params: TopKParams, *, divisor: int) -> None:
        self.engine = build_component(engine, check_host_params(params))
        self._params = params
        self._divisor = check_divisor(divisor)
        super().__init__()

    @property
    def params(self) -> TopKParams:
        return self._params

    def elaborate(self, platform) -> Module:
        m = Module()
        prm, eng = self._params, self.engine
        m.submodules.engine = eng
        m.submodules.urx = urx = UartRx(divisor=self._divisor)
        m.submodules.utx = utx = UartTx(divisor=self._divisor)
        m.d.comb += [urx.rx.eq(self.rx), self.tx.eq(utx.tx)]

        lanes = prm.input_parallelism if eng.LANES else 1
        ll = (lanes - 1).bit_length()
        depth = prm.max_n // lanes
        w, iw = prm.width, prm.index_width
        cnt = unsigned(iw + 1)

        # Score banks: written by LOAD, read by the feeder.
        sbank = []
        for j in range(lanes):
            mem = memory.Memory(shape=unsigned(w), depth=depth, init=[])
            m.submodules[f"scores{j}"] = mem
            sbank.append((mem.read_port(), mem.write_port()))
        # Item banks: written as the engine emits, read by READ.
        ibank = []
        for j in range(lanes):
            mem = memory.Memory(shape=unsigned(iw), depth=depth, init=[])
            m.submodules[f"items{j}"] = mem
            ibank.append((mem.read_port(), mem.write_port()))

        n_r, k_r, z_r = Signal(cnt), Signal(cnt), Signal(FIELD_BITS)
        nitems = Signal(cnt)
        cycles = Signal(CYCLE_BITS)
        acc = Signal(32)  # incoming little-endian field, bytes shifted in from the top
        nbytes = Signal(3)
        op = Signal(8)
        idx = Signal(cnt)  # score being loaded / item being read
        txq = Signal(32)  # outgoing field, sent LSB byte first
        txn = Signal(3)

        m.d.comb += [eng.n.eq(n_r), eng.k.eq(k_r)]
        if hasattr(eng, "z"):
            m.d.comb += eng.z.eq(z_r)

        # Feeder: beat fbeat of the score banks onto the engine's input stream.
        nbeats = Signal(cnt)
        fbeat, sent = Signal(cnt), Signal(cnt)
        feeding, fvalid, running = Signal(), Signal(), Signal()
        advance = ~fvalid | eng.scores.ready
        for rp, _ in sbank:
            m.d.comb += [rp.addr.eq(fbeat), rp.en.eq(advance)]
        m.d.comb += [eng.scores.valid.eq(fvalid), eng.scores.payload.eq(Cat(rp.data for rp, _ in sbank))]
        with m.If(feeding & advance):
            m.d.sync += [fvalid.eq(fbeat < nbeats), fbeat.eq(fbeat + (fbeat < nbeats))]
        accept = eng.scores.valid & eng.scores.ready
        with m.If(accept):
            m.d.sync += sent.eq(sent + 1)
        all_sent = sent == nbeats

        # Cycle counter: 1 in the cycle after the first beat is taken, stops when busy falls.
        with m.If(accept & (sent == 0)):
            m.d.sync += [cycles.eq(1), running.eq(1)]
        with m.Elif(running):
            with m.If(all_sent & ~eng.busy):
                m.d.sync += running.eq(0)
            with m.Else():
                m.d.sync += cycles.eq(cycles + 1)

        # Items: up to `lanes` per beat, written at the running count through a lane rotation.
        m.d.comb += eng.items.ready.eq(1)
        payload = eng.items.payload
        if lanes == 1:
            count, index = eng.items.valid, [payload.index]
        else:
            count, index = payload.count, [payload.index[j] for j in range(lanes)]
        with m.If(eng.items.valid):
            m.d.sync += nitems.eq(nitems + count)
        for b, (_, wp) in enumerate(ibank):
            if lanes == 1:
                m.d.comb += [wp.data.eq(index[0]), wp.addr.eq(nitems), wp.en.eq(eng.items.valid)]
                continue
            j = Signal(ll, name=f"item_lane{b}")  # the item of this beat that lands in bank b
            m.d.comb += [
                j.eq((b - nitems)[:ll]),
                wp.data.eq(Array(index)[j]),
                wp.addr.eq((nitems + j) >> ll),
                wp.en.eq(eng.items.valid & (j < count)),
            ]

        # Item read-out: bank idx % lanes at idx // lanes, one read cycle ahead of the send.
        rbank = Signal(range(lanes))
        for rp, _ in ibank:
            m.d.comb += rp.addr.eq(idx >> ll)
        rdata = Array(rp.data for rp, _ in ibank)[rbank]

        # Score writes during LOAD.
        for _, wp in sbank:
            m.d.comb += [wp.addr.eq(idx >> ll), wp.data.eq(acc[32 - FIELD_BITS : 32 - FIELD_BITS + w])]

        rx_byte = urx.data.payload
        got = urx.data.valid & urx.data.ready
        m.d.comb += utx.data.payload.eq(txq[:8])
        sending = Signal()  # the TX state pops txq until txn is 0
        with m.If(sending & utx.data.ready):
            m.d.sync += [txq.eq(txq >> 8), txn.eq(txn - 1)]
        m.d.comb += utx.data.valid.eq(sending)

        def reply(data, size, nxt):
            """Queue ``size`` bytes of ``data`` and go to state ``nxt`` (which sends them)."""
            m.d.sync += [txq.eq(data), txn.eq(size)]
            m.next = nxt

        with m.FSM():
            with m.State("SYNC"):
                m.d.comb += urx.data.ready.eq(1)
                with m.If(got & (rx_byte == SYNC)):
                    m.next = "OP"
            with m.State("OP"):
                m.d.comb += urx.data.ready.eq(1)
                with m.If(got):
                    m.d.sync += [op.eq(rx_byte), nbytes.eq(0)]
                    with m.Switch(rx_byte):
                        with m.Case(OP_LOAD):
                            m.next = "LOAD_N"
                        with m.Case(OP_K):
                            m.next = "K"
                        with m.Case(OP_START):
                            m.d.sync += [
                                feeding.eq(1),
                                fbeat.eq(0),
                                sent.eq(0),
                                nitems.eq(0),
                                nbeats.eq((n_r + lanes - 1) >> ll),
                            ]
                            m.next = "RUN"
                        with m.Case(OP_READ, OP_CYCLES):
                            reply(REPLY | (rx_byte << 8), 2, "HEAD")
                        with m.Default():
                            reply(REPLY | (NAK << 8), 2, "DONE")

            def field(size, then):
                """Shift ``size`` bytes into acc (the field ends up in its top bytes)."""
                m.d.comb += urx.data.ready.eq(1)
                with m.If(got):
                    m.d.sync += [acc.eq(Cat(acc[8:], rx_byte)), nbytes.eq(nbytes + 1)]
                    with m.If(nbytes == size - 1):
                        m.d.sync += nbytes.eq(0)
                        then()

            with m.State("LOAD_N"):

                def n_done():
                    m.d.sync += [n_r.eq(Cat(acc[24:], rx_byte)), idx.eq(0)]
                    m.next = "LOAD_SCORE"

                field(2, n_done)
            with m.State("LOAD_SCORE"):

                def score_done():
                    m.next = "LOAD_WRITE"

                field(2, score_done)
            with m.State("LOAD_WRITE"):
                for j, (_, wp) in enumerate(sbank):
                    m.d.comb += wp.en.eq(idx[:ll] == j if lanes > 1 else 1)
                m.d.sync += idx.eq(idx + 1)
                with m.If(idx + 1 == n_r):
                    reply(REPLY | (OP_LOAD << 8), 2, "DONE")
                with m.Else():
                    m.next = "LOAD_SCORE"
            with m.State("K"):

                def k_done():
                    m.d.sync += [k_r.eq(acc[8:24]), z_r.eq(Cat(acc[24:], rx_byte))]
                    reply(REPLY | (OP_K << 8), 2, "DONE")

                field(4, k_done)
            with m.State("RUN"), m.If(all_sent & ~running & (sent != 0)):
                m.d.sync += feeding.eq(0)
                reply(REPLY | (OP_START << 8) | (nitems << 16), 4, "DONE")
            with m.State("HEAD"):  # the reply's head of READ or CYCLES goes out, then its fields
                m.d.comb += sending.eq(txn != 0)
                with m.If(txn == 0):
                    with m.If(op == OP_CYCLES):
                        reply(cycles, 4, "DONE")
                    with m.Else():
                        m.d.sync += idx.eq(0)
                        reply(nitems, 2, "READ_NEXT")
            with m.State("READ_NEXT"):
                m.d.comb += sending.eq(txn != 0)
                with m.If(txn == 0):
                    with m.If(idx == nitems):
                        m.next = "SYNC"
                    with m.Else():
                        m.d.sync += rbank.eq(idx[:ll] if lanes > 1 else 0)
                        m.next = "READ_DATA"
            with m.State("READ_DATA"):
                m.d.sync += idx.eq(idx + 1)
                reply(rdata, 2, "READ_NEXT")
            with m.State("DONE"):
                m.d.comb += sending.eq(txn != 0)
                with m.If(txn == 0):
                    m.next = "SYNC"
        return m
