"""The overlap rules of phase 2, one row each, with the design points where each one binds.

The event engine (``accelsim.sim.engine``) applies these rules through simpy resources; the fast
path (``accelsim.sim.fast``) restates them as one pass. ``tests/sim/test_fast.py`` derives its cases
from this table: the two must agree at every row's points, so a rule added to both engines comes
with a point that exercises it here. Points are (hardware preset, overrides), run on the SpAtten
authors' GPT-2-small request trace and, unless ``request_trace_only``, on synthetic traces. The
request FIFO (``items.REQ_IN_FLIGHT``) binds only on short requests; its case is
``test_request_fifo_binds_on_short_requests``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

Point = tuple[str, dict[str, Any] | None]

OUTQUANT = str(Path(__file__).resolve().parents[2] / "examples/accelsim-example-plugins/outquant-hw.yaml")
"""SpAtten with the example plug-in unit after ProbxV (a source checkout's example package, loaded by path)."""
KVWRITE = str(Path(__file__).resolve().parents[2] / "examples/accelsim-example-plugins/kvwrite-hw.yaml")
"""SpAtten with the example KV write-back unit after ProbxV: a write buffer, DRAM writes, an input queue."""


@dataclass(frozen=True)
class Rule:
    """One overlap rule and the design points that move the bottleneck onto it."""

    name: str
    rule: str
    points: tuple[Point, ...]
    request_trace_only: bool = False
    """The points hold only on the GPT-2 request trace (e.g. a buffer too small for other traces)."""


RULES: tuple[Rule, ...] = (
    Rule(
        "pipeline",
        "items overlap across units; each holds QxK from the moment it is free until "
        "max(start + compute, key fetch end + DRAM latency), start = max(granted, fetch start + latency)",
        (("spatten", None), ("spatten", {"topk": {"parallelism": 64}}), ("spatten", {"qk": {"multipliers": 128}})),
    ),
    Rule(
        "dram-server",
        "DRAM is one FIFO server at the channels' sustained rate; value fetches join the key stream by request time",
        (
            ("spatten", {"dram": {"channels": 4}}),
            ("spatten", {"dram": {"outstanding": 2}}),
            ("spatten", {"dram": {"outstanding": 4, "channels": 4}}),
        ),
    ),
    Rule(
        "engine-roles",
        "one top-k engine takes every job; otherwise count // 2 take token/head jobs and the "
        "rest value jobs, dealt round-robin, results merged back in request order",
        (("spatten", {"topk": {"count": 1}}), ("spatten", {"topk": {"count": 3}}), ("spatten", {"topk": {"count": 4}})),
    ),
    Rule(
        "output-stage",
        "a job keeps its engine's selection stage until the output stage is free (2 jobs in "
        "flight); with 1 in flight it holds the whole engine",
        (("spatten", {"topk": {"jobs_in_flight": 1}}), ("spatten", {"topk": {"count": 1, "jobs_in_flight": 1}})),
    ),
    Rule(
        "key-buffer",
        "the key buffer is a ring of lines granted in request order, an allocation once enough "
        "earlier ones are recycled; lines freed at the requant decision",
        (
            ("spatten", {"sram": {"key_kb": 98}}),  # GPT-2's 993-key requests take 126 of its 130 lines
            ("spatten", {"sram": {"key_kb": 392}, "topk": {"count": 4}}),
            ("spatten-1-8", {"sram": {"key_kb": 192, "value_kb": 192}}),  # the RTL's scaled-down buffers
        ),
    ),
    Rule(
        "value-buffer",
        "scored items ask, in order, for value top-k and then for the value buffer's lines, "
        "freed after ProbxV and its pipeline fill",
        (
            ("spatten", {"sram": {"key_kb": 98, "value_kb": 20}, "topk": {"count": 4}}),
            ("spatten", {"sram": {"value_kb": 20}, "dram": {"channels": 4}}),  # 204 values take 26 of 26 lines
        ),
        request_trace_only=True,
    ),
    Rule(
        "unit-stages",
        "a plug-in unit (accelsim.units) is a server at its place, after scoring (before the value top-k) "
        "or after ProbxV: items take it in request order for their cycles and go on after its latency",
        (
            (OUTQUANT, None),
            (OUTQUANT, {"outquant": {"lanes": 1}}),  # busy 54 % of the GPT-2 run: its queue moves the end
            (OUTQUANT, {"outquant": {"lanes": 1, "latency": 500}}),
        ),
    ),
    Rule(
        "unit-queue",
        "a plug-in unit after ProbxV with an input queue of q items takes an item only once the item q places "
        "ahead has entered it; until then the stage before it (ProbxV) holds the item, blocked on output, and "
        "frees its value lines after (tandem queues with blocking after service)",
        (
            (KVWRITE, {"kvwrite": {"lanes": 1}}),  # a queue of 10: ProbxV blocked 534293 of the GPT-2 run's cycles
            (KVWRITE, {"kvwrite": {"lanes": 2, "lines": 6}}),  # a queue of 1: blocked 134860
        ),
    ),
    Rule(
        "unit-dram",
        "a plug-in unit's DRAM transfers share the DRAM FIFO server with the key and value fetches: a write is "
        "posted as the item enters the unit and joins them by request time; a read goes right behind the "
        "item's value fetch and the unit waits for it (reads: tests/units/test_hooks.py's vscale unit)",
        (
            (KVWRITE, None),
            (KVWRITE, {"dram": {"channels": 2}}),  # DRAM-bound: the writes add 1.1 % to the GPT-2 run
            (KVWRITE, {"dram": {"channels": 2}, "kvwrite": {"bits": 16, "lines": 8}}),
        ),
    ),
)
