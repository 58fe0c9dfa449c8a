"""Each unit of a design priced as the hardware it is: logic from the component table (or from
synthesis of the project's RTL), buffers and FIFOs as CACTI SRAM macros.

A unit's cost is its area, its leakage, the flip-flop bits clocked every cycle and the energy of
each of its actions (named as in :func:`accelsim.hw.cost.actions.actions`). Organisation follows
the SpAtten RTL (mit-han-lab/spatten, ``SpAttenConfig``, ``Buffer.scala``): the K and V buffers
are ``bits`` bit-planes x 2 banks of single-port macros one ``multipliers``-bit line wide.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
from typing import Literal

from accelsim.config.hardware import Fetcher, Hardware, MulArray, Softmax, TopK
from accelsim.hw.cost.actions import ADDR_BITS, FIFO_PORT_BITS
from accelsim.hw.cost.components import Cost, Logic
from accelsim.hw.cost.scaling import area_factor, energy_factor
from accelsim.hw.cost.sram import Macro, sram_macro, supported_nodes
from accelsim.hw.cost.synth import synth_cost, unit_synth_cost
from accelsim.hw.requant import RequantParams
from accelsim.hw.softmax import SoftmaxParams
from accelsim.hw.units import requant_params, softmax_params, topk_params
from accelsim.topk import TopKParams
from accelsim.units import stages

KV_BANKS = 2  # SpAtten RTL Buffer: two banks (double buffering), 12 bit-planes each
SOFTMAX_FP = {"fp32_mult": 8, "fp32_add": 6}
"""fp32 operators per softmax lane (SpAtten Sec. IV-C, fp32 datapath as SpAttenConfig.widthFPValue):
exp as a 5th-order Taylor series (5 multiply-adds), accumulate (1 add), normalise by the
reciprocal of the sum (1 multiply), dequantize and requantize (2 multiplies)."""
SOFTMAX_STAGE_BITS = 32 * sum(SOFTMAX_FP.values())  # one fp32 pipeline register per operator
REQUANT_LINES_PER_BUFFER_LINE = 16  # SpAttenController.scala: sizeRequantBuffer = numBufferLines * 16
ADDR_FIFO_DEPTH = 16  # MatrixFetcher.scala: addr_fifos of depth 16 (resp_fifos: fetcher.fifo_depth, 64)
TOPK_BUFFERS = 3  # quick-select data FIFO, FIFO_L, FIFO_R, each holding max_n items (QuickSelect.scala)


@dataclass(frozen=True)
class UnitCost:
    """Area, leakage, clock energy and per-action energy of one unit (all instances)."""

    kind: Literal["logic", "sram"]
    area_mm2: float
    leak_w: float
    clock_pj: float
    """Energy per cycle of clocking the unit's flip-flops (every cycle: no clock gating assumed)."""
    action_pj: dict[str, float] = field(default_factory=dict)
    cycle_ns: float = 0.0
    """Cycle time of the unit's slowest SRAM macro (0 for logic without macros)."""


def _logic(p: Pricer, parts: Cost, ff_bits: float, action_pj: dict[str, float]) -> UnitCost:
    return UnitCost("logic", parts.um2 * 1e-6, parts.leak_uw * 1e-6, p.logic("register", ff_bits).pj, action_pj)


@dataclass(frozen=True)
class Pricer:
    """Prices components at ``node`` nm and SRAM macros of ``cell`` type there."""

    node: float
    cell: str

    @classmethod
    def of(cls, hw: Hardware) -> Pricer:
        return cls(hw.tech_nm, hw.sram.cell)

    @property
    def logic(self) -> Logic:
        return _logic_at(self.node)

    def macro(self, lines: float, width_bits: float) -> Macro:
        """One SRAM macro of ``lines`` x ``width_bits`` (scaled from CACTI's range where needed)."""
        return _macro(lines, width_bits, self.node, self.cell)

    def macros(self, count: float, lines: float, width_bits: float) -> tuple[Macro, UnitCost]:
        m = self.macro(lines, width_bits)
        return m, UnitCost("sram", count * m.area_mm2, count * m.leak_mw * 1e-3, 0.0, cycle_ns=m.cycle_ns)


@cache
def _logic_at(node_nm: float) -> Logic:
    return Logic(node_nm)


@lru_cache(maxsize=4096)  # sweeps vary few fields: most of a new design's macros were priced before
def _macro(lines: float, width_bits: float, node_nm: float, cell: str) -> Macro:
    lo, hi = supported_nodes()
    at = min(max(node_nm, lo), hi)  # CACTI's own nodes; beyond them, scaled
    m = sram_macro(lines=lines, width_bits=width_bits, node_nm=at, cell=cell)
    if at == node_nm:
        return m
    e, a = energy_factor(node_nm, at), area_factor(node_nm, at)
    return Macro(m.read_pj * e, m.write_pj * e, m.leak_mw * e, m.area_mm2 * a,
                 m.cycle_ns * node_nm / at,  # delay ~ feature size (Stillmaker & Baas)
                 f"{m.source}, scaled to {node_nm:g} nm (Stillmaker & Baas)")


@cache
def mul_array(p: Pricer, unit: MulArray) -> UnitCost:
    """Multipliers, a reconfigurable adder tree and pipeline registers (SpAtten Sec. IV-B/E).

    The tree has ``multipliers - 1`` adders; its widths grow from 2b+1 to 2b+log2(64) bits, 2b+2 on
    average by count. Registers: both operands and the product of each multiplier, and each adder's
    output (the tree is pipelined, ``MulArray.latency``).
    """
    b, m = unit.bits, unit.multipliers
    tree_bits = 2 * b + 2
    reg_bits = m * 4 * b + (m - 1) * tree_bits
    parts = m * p.logic("multiplier", b, b) + (m - 1) * p.logic("adder", tree_bits) + p.logic("register", reg_bits)
    mac = p.logic("multiplier", b, b).pj + p.logic("adder", tree_bits).pj + p.logic("register", 4 * b + tree_bits).pj
    return _logic(p, parts, reg_bits, {"mac": mac})


@cache
def query_fifo(p: Pricer, qk: MulArray, lanes: int, kb: float) -> UnitCost:
    """The queries waiting for QxK (``sram.query_kb``; SpAttenController.scala ``req_fifo``, 16
    requests deep, each holding its D x 12-bit query): one macro, a query per line."""
    width = qk.multipliers // lanes * qk.bits  # D elements (numSoftMaxUnit = M / D)
    return p.macros(1, max(kb * 8192 / width, 1), width)[1]


@cache
def softmax(p: Pricer, unit: Softmax, params: SoftmaxParams | None = None,
            requant: RequantParams | None = None) -> UnitCost:
    """The softmax unit with the requant decision behind it. Where ``tables/synth_units.yaml`` has both
    at ``params`` and ``requant`` (:func:`accelsim.hw.units.softmax_params`), their logic and flip-flops
    are the synthesized RTL's and the row buffers SRAM macros of their own shapes; otherwise
    ``softmax.parallelism`` fp32 lanes and the score FIFO (``softmax.fifo_depth`` fp32 entries). The
    energy per element is the fp32 operators' either way (synthesis gives no switching activity)."""
    lane = sum((n * p.logic(op, 32) for op, n in SOFTMAX_FP.items()), Cost(0, 0, 0))
    regs = p.logic("register", SOFTMAX_STAGE_BITS)
    lanes = unit.parallelism
    synth = [unit_synth_cost("softmax", params) if params else None,
             unit_synth_cost("requant", requant) if requant else None]
    if all(synth):
        logic = sum((Cost(0.0, s.area_um2 * p.logic.area, s.leak_mw * 1e3 * p.logic.energy) for s in synth),
                    Cost(0, 0, 0))
        ff_bits = sum(s.ff_bits for s in synth)
        shapes = [(n, *map(int, shape.split("x"))) for s in synth for shape, n in s.memories.items()]
        bufs = [p.macros(n, lines, width) for n, lines, width in shapes]
        per_elem = sum((m.read_pj + m.write_pj) / lanes for m, _ in bufs)
        out = _logic(p, logic, ff_bits, {"elem": lane.pj + regs.pj + per_elem})
        for _, cost in bufs:
            out = _merge(out, cost)
        return out
    fifo, fifo_cost = p.macros(1, unit.fifo_depth, 32 * lanes)
    out = _logic(p, lanes * (lane + regs), lanes * SOFTMAX_STAGE_BITS,
                 {"elem": lane.pj + regs.pj + (fifo.read_pj + fifo.write_pj) / lanes})
    return _merge(out, fifo_cost)


@cache
def topk(p: Pricer, t: TopK, params: TopKParams) -> UnitCost:
    """``topk.count`` engines. Where the synthesis table has this engine at these parameters, its
    logic and flip-flops are the synthesized RTL's and its memories SRAM macros of their own
    shapes; otherwise 2 x ``parallelism`` comparators with pipeline registers and
    ``TOPK_BUFFERS`` macros of ``max_n`` items."""
    item = t.width + t.index_width
    synth = synth_cost(t.engine, params)
    if synth is not None:
        engine = Cost(0.0, synth.area_um2 * p.logic.area, synth.leak_mw * 1e3 * p.logic.energy)
        reg_bits = synth.ff_bits
        shapes = [(n * t.count, *map(int, shape.split("x"))) for shape, n in synth.memories.items()]
    else:
        reg_bits = 2 * t.parallelism * 2 * item
        engine = 2 * t.parallelism * p.logic("comparator", t.width) + p.logic("register", reg_bits)
        shapes = [(TOPK_BUFFERS * t.count, max(params.max_n // t.parallelism, 1), item * t.parallelism)]
    bufs = [p.macros(n, lines, width) for n, lines, width in shapes]
    # an item visit reads and writes one item's share of a line (a whole line where a line is an item)
    per_item = max(((m.read_pj + m.write_pj) * min(item / width, 1.0)
                    for (m, _), (_, _, width) in zip(bufs, shapes, strict=True)), default=0.0)
    compare = p.logic("comparator", t.width) + p.logic("register", 2 * item)
    unit = _logic(p, t.count * engine, t.count * reg_bits, {"compare": compare.pj + per_item})
    for _, cost in bufs:
        unit = _merge(unit, cost)
    return unit


@cache
def requant_fifo(p: Pricer, lanes: int, qk: MulArray, key_kb: float) -> UnitCost:
    """The requantization FIFO (SpAttenController.scala ``requant_fifo``): scored beats wait here for
    the decision whether to re-fetch LSBs. ``16 x`` buffer lines deep; an entry holds a beat of
    ``softmax.parallelism`` scores and its position in the FIFO. The RTL's entry also carries the
    whole request (query and metadata, ~1.1 kbit), the same for every beat of a request: priced
    that way the FIFO alone is 1.4 mm2 on ``spatten`` and 10.1 mm2 on ``spatten-1-8`` before
    layout, against the paper's 1.55 mm2 for all of SpAtten-1/8, so the request is taken as held
    once per request, outside this FIFO (docs/cost.md)."""
    lines = REQUANT_LINES_PER_BUFFER_LINE * _buffer_lines(key_kb, qk)
    width = lanes * qk.bits + math.ceil(math.log2(lines))
    m, cost = p.macros(1, lines, width)
    return replace(cost, action_pj={"beat": m.read_pj + m.write_pj})


def _buffer_lines(kb: float, unit: MulArray) -> float:
    """Lines of a K/V buffer (RTL numBufferLines): ``multipliers`` elements of ``bits`` each."""
    return kb * 8192 / (unit.bits * unit.multipliers)


@cache
def kv_buffer(p: Pricer, kb: float, unit: MulArray) -> UnitCost:
    """A K or V buffer of ``kb`` KB: ``unit.bits`` planes x ``KV_BANKS`` macros ``multipliers`` bits wide."""
    m, cost = p.macros(unit.bits * KV_BANKS, _buffer_lines(kb, unit) / KV_BANKS, unit.multipliers)
    return replace(cost, action_pj={"read": m.read_pj, "write": m.write_pj})


@cache
def fetcher_fifos(p: Pricer, f: Fetcher) -> UnitCost:
    """Per fetcher port, a data FIFO of ``fetcher.fifo_depth`` entries and an address FIFO."""
    data, data_cost = p.macros(f.ports, f.fifo_depth, FIFO_PORT_BITS)
    addr, addr_cost = p.macros(f.ports, ADDR_FIFO_DEPTH, ADDR_BITS)
    return UnitCost("sram", data_cost.area_mm2 + addr_cost.area_mm2, data_cost.leak_w + addr_cost.leak_w, 0.0,
                    {"beat": data.read_pj + data.write_pj, "txn": addr.read_pj + addr.write_pj},
                    max(data.cycle_ns, addr.cycle_ns))


@cache
def fetcher_crossbars(p: Pricer, ports: int, chans: int) -> UnitCost:
    """The address crossbar (ports -> channels) and data crossbar (channels -> ports) as 2:1
    multiplexer trees with registered outputs (SpAtten Sec. IV-A: 32 x 16 and 16 x 32)."""
    mux = p.logic("mux2")
    addr_muxes = chans * ADDR_BITS * (ports - 1)
    data_muxes = ports * FIFO_PORT_BITS * (chans - 1)
    reg_bits = chans * ADDR_BITS + ports * FIFO_PORT_BITS
    parts = (addr_muxes + data_muxes) * mux + p.logic("register", reg_bits)
    # a transfer toggles one path: log2(inputs) multiplexer levels per bit, then the output register
    beat = FIFO_PORT_BITS * (math.ceil(math.log2(chans)) * mux.pj + p.logic("register").pj)
    txn = ADDR_BITS * (math.ceil(math.log2(ports)) * mux.pj + p.logic("register").pj)
    return _logic(p, parts, reg_bits, {"beat": beat, "txn": txn})


def _merge(logic: UnitCost, sram: UnitCost) -> UnitCost:
    """A logic unit with its own buffers (which stay in the unit, priced as macros)."""
    return UnitCost("logic", logic.area_mm2 + sram.area_mm2, logic.leak_w + sram.leak_w, logic.clock_pj,
                    logic.action_pj, max(logic.cycle_ns, sram.cycle_ns))


_MEMORY: dict[tuple, dict[str, UnitCost]] = {}
_COMPUTE: dict[tuple, dict[str, UnitCost]] = {}
_RECENT: dict[int, tuple[Hardware, dict[str, UnitCost]]] = {}
"""The last designs' units by the design's identity (each kept alive here, so an id is never reused): timing
a point checks its clock against them and then prices it, and hashing the blocks again costs ~4 us."""
_RECENT_SIZE = 1024  # more than a sweep's chunk of points (``accelsim.sweep.runner.FAST_CHUNK``)


def unit_costs(hw: Hardware) -> dict[str, UnitCost]:
    """Every on-chip unit of ``hw``, its plug-in units (``accelsim.units``) and their storage (``<name>_buffer``,
    ``Unit.buffer``) included (DRAM is off chip and
    priced per access). Cached per side on the blocks it reads: the fetcher's units on the fetcher and the
    DRAM channels, the rest on the compute, buffer and unit blocks, so designs that differ only in DRAM
    (or only in compute) share the other side."""
    hit = _RECENT.get(id(hw))
    if hit is not None and hit[0] is hw:
        return dict(hit[1])
    memory = (hw.tech_nm, hw.sram.cell, hw.fetcher, hw.dram.channels)
    compute = (hw.tech_nm, hw.sram, hw.qk, hw.softmax, hw.pv, hw.topk, stages(hw))
    mem = _MEMORY.get(memory)
    if mem is None:
        mem = _MEMORY[memory] = _memory_units(hw)
    comp = _COMPUTE.get(compute)
    if comp is None:
        comp = _COMPUTE[compute] = _compute_units(hw)
    if len(_RECENT) >= _RECENT_SIZE:
        _RECENT.clear()
    units = {**mem, **comp}
    _RECENT[id(hw)] = (hw, units)
    return dict(units)


def _memory_units(hw: Hardware) -> dict[str, UnitCost]:
    p = Pricer.of(hw)
    return {
        "fetcher": fetcher_crossbars(p, hw.fetcher.ports, hw.dram.channels),
        "sram_fifo": fetcher_fifos(p, hw.fetcher),
    }


def _compute_units(hw: Hardware) -> dict[str, UnitCost]:
    p = Pricer.of(hw)
    lanes = hw.softmax.parallelism
    units = {
        "qk": _merge(mul_array(p, hw.qk), query_fifo(p, hw.qk, lanes, hw.sram.query_kb)),
        "softmax": softmax(p, hw.softmax, softmax_params(hw), requant_params(hw)),
        "pv": mul_array(p, hw.pv),
        "sram_key": kv_buffer(p, hw.sram.key_kb, hw.qk),
        "sram_value": kv_buffer(p, hw.sram.value_kb, hw.pv),
        "sram_requant": requant_fifo(p, lanes, hw.qk, hw.sram.key_kb),
    }
    if hw.topk.count:
        units["topk"] = topk(p, hw.topk, topk_params(hw))
    for unit, params in stages(hw):
        units[unit.name] = unit.cost(params, p)
        lines, width = unit.buffer(params)
        if lines:  # its storage (Unit.buffer): one macro, read and written a line at a time
            m, cost = p.macros(1, lines, width)
            units[f"{unit.name}_buffer"] = replace(cost, action_pj={"read": m.read_pj, "write": m.write_pj})
    return units
