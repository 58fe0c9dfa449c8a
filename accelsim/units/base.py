"""The hardware unit interface and its registry.

The SpAtten datapath (fetcher, QxK, softmax, top-k, ProbxV, buffers) is written out in both timing
engines; a unit added here is a stage inserted at one of :data:`PLACES`, timed from what it declares,
by the same rules in both (``accelsim.sim.rules``, rows ``unit-stages``, ``unit-dram`` and
``unit-queue``): an item holds the unit for its :meth:`Unit.cycles` (items in request order, one at a
time), then leaves it :meth:`Unit.latency` cycles later. Three hooks, each off by default, make it more
than a pipelined stage (the last two only after ProbxV, ``pv``):

- :meth:`Unit.buffer`: on-chip storage it holds, priced by the cost model as an SRAM macro (entry
  ``<name>_buffer`` in ``area_by`` and ``energy_by``, actions ``<name>_buffer_read`` and ``_write``,
  counted by :meth:`Unit.actions` as ``buffer_read`` and ``buffer_write``); any place;
- :meth:`Unit.dram`: bytes each item reads and writes in DRAM, served by the DRAM FIFO server with the
  key and value fetches (taking their bandwidth): a read is issued right behind the item's value fetch
  (the fetcher knows its addresses then) and the unit holds the item until ``max(entered + cycles,
  read end + DRAM latency)`` (the rest counted as stalled); a write is posted as the item enters the
  unit. In ``dram_bytes_by[<name>]``, DRAM energy, ``--dram-trace`` and the event engine's DRAM log
  (kinds ``<name>_read`` and ``<name>``); the bank DRAM model refuses them;
- :meth:`Unit.queue`: items its input holds; when full, the stage before it (ProbxV or the unit
  before it) keeps the item and stays held, blocked on output, until the item ``queue`` places ahead
  enters the unit (blocking after service: a credit returns when an item leaves the queue).

A unit after scoring (``qk``) is fed from on-chip results and passes on to an output register, so
it may not declare DRAM requests or a queue (:func:`register` refuses them). The behavioural model
(``accelsim.sim.behavioural``) adds a unit's cycles and DRAM transactions serially, where a queue
never binds.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np

from accelsim.config.base import Strict
from accelsim.registry import Registry

if TYPE_CHECKING:
    from accelsim.config.hardware import Hardware
    from accelsim.hw.cost.units import Pricer, UnitCost
    from accelsim.sim.items import Tiling
    from accelsim.workplan import WorkPlan

Place = Literal["qk", "pv"]
PLACES: tuple[Place, ...] = ("qk", "pv")
"""Where a unit sits, in pipeline order. ``qk``: after scoring (QxK, softmax and the requant decision),
before the value top-k: it takes each item's scores in request order, and the item asks for the value
top-k once the unit has passed them on (its key lines and request FIFO entry are already freed).
``pv``: after ProbxV: it takes each item's attention output (``queries x d`` elements) once ProbxV
and its pipeline fill are done with it (the value lines are already freed); the run ends when the last
item leaves it."""
COST_KEYS = frozenset(["sram_fifo", "sram_key", "sram_value", "sram_requant", "topk_shared", "topk_value"])
LAYER_COLUMNS = frozenset(
    [
        "group",
        "layer_id",
        "step",
        "layer",
        "heads",
        "dram",
        "fill",
        "drain",
        "topk",
        "cycles",
        "key_bytes",
        "value_bytes",
    ]
)
RESERVED = COST_KEYS | LAYER_COLUMNS
"""Names a unit cannot take besides the ``hw`` blocks': the built-in units' cost and timing entries that
are no block, and the behavioural model's per-layer columns (``accelsim.sim.behavioural``)."""
MAX_STAGES = 8
"""Units a design may have (the fast path's kernel keeps their state in fixed slots)."""


@dataclass(frozen=True)
class ItemWork:
    """Hardware-independent work of each work item (a decode request, or a tile of a prefill
    request's queries; ``accelsim.sim.items.Tiling``), what a unit's service time is computed from."""

    queries: np.ndarray
    """Queries of the item."""
    d: np.ndarray
    """Head dimension of the item's request."""
    scores: np.ndarray
    """Attention scores the item computes (scored key rows, summed over its queries; recompute passes
    not counted)."""
    pv_rows: np.ndarray
    """Value rows ProbxV multiplies for the item."""

    @classmethod
    def of(cls, plan: WorkPlan, tiling: Tiling) -> ItemWork:
        r = plan.requests
        owner, share = tiling.owner, tiling.share
        return cls(
            queries=np.diff(tiling.queries).astype(np.float64),
            d=r["d"].to_numpy(np.float64)[owner],
            scores=r["qk_rows"].to_numpy(np.float64)[owner] * share,
            pv_rows=r["pv_rows"].to_numpy(np.float64)[owner] * share,
        )


class Unit(ABC):
    """One hardware unit: what a design's ``hw.<name>`` block configures and how it is timed and priced.

    Members
    -------
    name : the unit's block in a hardware config and its key in ``busy_by``, ``energy_by``, ``area_by``
        and ``actions_by`` (``<name>_<action>``).
    params : the block's pydantic model (``accelsim.config.Strict``: frozen, unknown keys refused); each
        field's docstring cites the source of its default.
    follows : its place in the pipeline, one of :data:`PLACES`.
    consumes, produces : what it takes from the stage before and passes on (for ``accelsim describe``
        and the docs).
    rtl : the module of its RTL (``accelsim rtl build|verify <name>``), or None.
    """

    name: ClassVar[str]
    params: ClassVar[type[Strict]]
    follows: ClassVar[Place]
    consumes: ClassVar[str]
    produces: ClassVar[str]
    rtl: ClassVar[str | None] = None
    """The module of the unit's RTL: its Amaranth component and its bench case, registered there with
    ``accelsim.rtl.units.cases.register_case`` (imported when ``accelsim rtl`` first looks a unit up);
    None: the unit has no RTL."""

    @abstractmethod
    def cycles(self, p: Strict, work: ItemWork) -> np.ndarray:
        """Cycles each item holds the unit (its initiation interval: the next item enters after them)."""

    @abstractmethod
    def latency(self, p: Strict) -> float:
        """Pipeline cycles from an item leaving the unit's input to its last output."""

    @abstractmethod
    def cost(self, p: Strict, pricer: Pricer) -> UnitCost:
        """Area, leakage, clocked flip-flops and energy per action, from ``accelsim.hw.cost`` components
        and macros (``pricer.logic(...)``, ``pricer.macros(...)``)."""

    @abstractmethod
    def actions(self, p: Strict, counts: dict[str, float]) -> dict[str, float]:
        """Count of each action of :meth:`cost` over a run, from the plan's work
        (``accelsim.hw.cost.actions.op_counts``: ``queries``, ``scores``, ``out_elems``, ...)."""

    def buffer(self, p: Strict) -> tuple[int, int]:
        """On-chip storage the unit holds: (lines, bits per line) of one SRAM macro; (0, 0): none."""
        return 0, 0

    def dram(self, p: Strict, work: ItemWork) -> tuple[np.ndarray, np.ndarray] | None:
        """Bytes each item reads from and writes to DRAM (``pv`` units only); None: no DRAM requests."""
        return None

    def queue(self, p: Strict) -> int:
        """Items the unit's input holds before it stalls the stage before it (``pv`` units only); 0:
        unbounded (it never back-pressures)."""
        return 0

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, follows={self.follows!r})"


UNITS: Registry[Unit] = Registry("unit", "accelsim.units")


def register(cls: type[Unit]) -> type[Unit]:
    """Class decorator: make the unit configurable as ``hw.<cls.name>``.

    Raises
    ------
    ValueError
        The name is not an identifier or is taken by a built-in unit, the place is unknown, or a unit
        after scoring declares DRAM requests or a queue.
    """
    from accelsim.config.hardware import Hardware

    if not cls.name.isidentifier() or cls.name in RESERVED or cls.name in Hardware.model_fields:
        raise ValueError(f"unit name must be an identifier other than a built-in unit's, not {cls.name!r}")
    if cls.follows not in PLACES:
        raise ValueError(f"unit {cls.name!r}: follows must be one of {', '.join(PLACES)}, not {cls.follows!r}")
    if cls.follows != "pv" and (cls.dram is not Unit.dram or cls.queue is not Unit.queue):
        raise ValueError(f"unit {cls.name!r}: only a unit after ProbxV (pv) may issue DRAM requests or back-pressure")
    UNITS.add(cls.name, cls(), cls.__module__)
    return cls


def stages(hw: Hardware) -> tuple[tuple[Unit, Strict], ...]:
    """The units of ``hw`` (its unit blocks) with their params, in pipeline order: by place, then name."""
    blocks = hw.model_extra
    if not blocks:
        return ()
    found = ((UNITS[name], p) for name, p in blocks.items())
    return tuple(sorted(found, key=lambda up: (PLACES.index(up[0].follows), up[0].name)))
