"""Hardware configuration: one block per unit of a SpAtten-style accelerator.

Defaults are the SpAtten design point (Wang et al., HPCA 2021, arXiv 2012.09852, Sec. V and
Table II); each field names its source.
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveFloat,
    PositiveInt,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import InitErrorDetails, PydanticCustomError

from accelsim.config.base import Strict
from accelsim.topk.params import TopKShared, engine_fields


class Fetcher(Strict):
    """Q-K-V fetcher: address/data crossbars and per-port FIFOs between DRAM and the datapath."""

    ports: PositiveInt = 32
    """Fetcher channels (SpAtten Sec. IV-A: 32x16 address crossbar, 16x32 data crossbar)."""
    fifo_depth: PositiveInt = 64
    """Entries per address/data FIFO (SpAtten Sec. IV-A: 64-deep FIFOs)."""
    latency: int = Field(4, ge=0)
    """Crossbar + FIFO pipeline cycles (assumption: 2 crossbar stages + 2 FIFO stages)."""


class MulArray(Strict):
    """A multiplier array with a reconfigurable adder tree (QxK or ProbxV)."""

    multipliers: PositiveInt = 512
    """12-bit multipliers (SpAtten Sec. IV-B/E: 512 for QxK, 512 for ProbxV)."""
    bits: PositiveInt = 12
    """Operand width on chip (SpAtten Sec. IV: bitwidth converter widens 4/8 -> 12 bits)."""
    latency: int = Field(8, ge=0)
    """Pipeline cycles: 1 multiply + log2(64)=6 adder-tree stages + 1 output register (derived)."""


class Softmax(Strict):
    """Softmax unit: dequantize, exp, accumulate, divide, requantize."""

    parallelism: PositiveInt = 8
    """Scores per cycle (SpAtten Sec. IV-C: parallelism 8 = 512 multipliers / D=64)."""
    fifo_depth: PositiveInt = 128
    """Score FIFO entries (SpAtten Sec. IV-C)."""
    latency: int = Field(12, ge=0)
    """Pipeline cycles: 5th-order Taylor exp on an FMA (5) + divide (6) + requant (1) (derived)."""


class _Engine(Strict):
    engine: str = "quickselect"
    """Engine name in the top-k registry (SpAtten Sec. IV-D: random-pivot quick-select)."""


class TopK(TopKShared, _Engine):
    """Top-k engines (the shared token/head engine and the local-value engine).

    ``engine``, ``count`` and ``jobs_in_flight`` are the design's; the fields every engine has are
    declared once in :class:`accelsim.topk.params.TopKShared` (defaults, bounds, sources), and the block
    also takes the chosen engine's own fields, declared by its params model
    (``TopKEngine.params_type``, e.g. ``pivot_seed`` of quickselect), each filled with its default when
    absent; all are passed on whole to the engine's models and RTL (``accelsim.hw.units.topk_params``).
    A field of another engine is refused, naming the engines that read it, unless it is at their
    default. Scores enter, and the filter pass reads them, at ``min(softmax.parallelism, parallelism)``
    per cycle (SpAtten RTL SpAttenController.scala: TopK built with ``numSoftMaxUnit``): that input rate
    is derived, not set here.
    """

    model_config = ConfigDict(extra="allow")

    count: int = Field(2, ge=0, le=64)
    """Number of engines, at most 64 (a bound on the simulator's per-engine state, 32x SpAtten's); 0 means
    a design without top-k hardware (SpAtten: 2). One engine takes
    every job; otherwise ``count // 2`` take token/head jobs and the rest value jobs, dealt
    round-robin (results merge back in request order)."""
    jobs_in_flight: int = Field(2, ge=1, le=2)
    """Jobs an engine holds at once. 2: while one job's output stage (quick-select's filter pass)
    emits its items, the selection stage already works on the next job; 1: a job holds the whole
    engine to its end. SpAtten RTL (mit-han-lab/spatten, TopK.scala: a context FIFO of depth 2; the
    QuickSelect core returns to its fill state once its registered response is taken, while the
    filter pass re-reads the job's scores from its own data FIFO)."""

    @model_validator(mode="after")
    def _engine_fields(self) -> TopK:
        extra = self.__pydantic_extra__ or {}
        items = tuple((k, type(v), v) for k, v in extra.items())  # by type too: 1 == True == 1.0
        try:
            own = _engine_extra(self.engine, items)
        except TypeError:  # an unhashable value (a list, a mapping): checked without the cache, and refused
            own = _engine_extra.__wrapped__(self.engine, items)
        if own != extra:
            object.__setattr__(self, "__pydantic_extra__", dict(own))
        return self

    @classmethod
    def extra_field(cls, name: str) -> FieldInfo | None:
        """The field ``name`` of some engine's own params model (the block accepts it with that engine),
        or None; for the sweep's axis checks, which do not know the engine yet."""
        from accelsim.topk import ENGINES

        return next((f[name] for e in ENGINES.values() if name in (f := engine_fields(e.params_type))), None)


_BLOCK_FIELDS = frozenset(TopK.model_fields)


def _refuse(field: str, value: object, message: str) -> ValidationError:
    return ValidationError.from_exception_data(
        "TopK", [{"type": "value_error", "loc": (field,), "input": value, "ctx": {"error": ValueError(message)}}]
    )


@cache
def _own_model(engine: str) -> type[BaseModel]:
    """A strict model of ``engine``'s own fields (as the rest of the config: no coercion); ValidationError
    at ``engine`` when no such engine is registered or its own fields clash with the block's."""
    from accelsim.topk import ENGINES

    if engine not in ENGINES:
        raise _refuse("engine", engine, f"unknown top-k engine {engine!r}; expected one of: {ENGINES.names()}")
    own = engine_fields(ENGINES[engine].params_type)
    clash = sorted(own.keys() & TopK.model_fields.keys())
    if clash:  # the block's own field would shadow the engine's: a plug-in's mistake, said at once
        raise _refuse("engine", engine, f"the {engine} engine's params declare {', '.join(clash)}, a field of the "
                      "topk block itself; the engine must rename it")
    fields: dict[str, Any] = {k: (f.annotation, f) for k, f in own.items()}
    return create_model(f"{engine} fields", __config__=Strict.model_config, **fields)


@lru_cache(maxsize=1024)
def _engine_extra(engine: str, items: tuple[tuple[str, type, Any], ...]) -> dict[str, Any]:
    """The fields beyond the block's own, ``items`` (name, type, value), as ``engine``'s own fields checked
    and filled with their defaults, those of other engines at their defaults dropped; ValidationError
    naming the field otherwise. Cached: a sweep's points share a few (a check costs a nested model's
    validation)."""
    model = _own_model(engine)
    extra = {k: v for k, _, v in items}
    foreign = extra.keys() - model.model_fields.keys()
    for name in sorted(foreign):
        users = _users(name)
        if not users:
            expected = ", ".join([*TopK.model_fields, *model.model_fields])
            raise _refuse(name, extra[name], f"unknown field; expected one of: {expected}")
        if any(extra[name] != default for default in users.values()):
            raise _refuse(
                name,
                extra[name],
                f"read only by the {' and '.join(users)} engine (topk.engine is {engine!r}): leave it at its "
                "default or change the engine",
            )
    return model.model_validate({k: v for k, v in extra.items() if k not in foreign}).model_dump()


def _users(name: str) -> dict[str, object]:
    """The default of field ``name`` in each engine whose own params declare it."""
    from accelsim.topk import ENGINES

    return {e: f[name].default for e, cls in sorted(ENGINES.items()) if name in (f := engine_fields(cls.params_type))}


class Sram(Strict):
    """On-chip buffers."""

    key_kb: PositiveFloat = 196.0
    """Key buffer (SpAtten Sec. IV-B: 2 x 1024 x 64 x 12 b = 196 KB): ``key_kb * 8192 // (qk.multipliers
    * qk.bits)`` lines of ``qk.multipliers`` elements (SpAtten RTL: 256 lines of 512 x 12 b), 2 banks.
    A request takes the lines of its keys, rounded up to a line per bank, from its QxK until its
    requant decision; a request needing more lines than the buffer holds is infeasible
    (``accelsim.sim.items.Buffers``)."""
    value_kb: PositiveFloat = 196.0
    """Value buffer (SpAtten Sec. IV-E: 196 KB): lines of ``pv.multipliers`` x ``pv.bits`` as the key
    buffer; a request holds the lines of its values from its value fetch to the end of ProbxV."""
    query_kb: PositiveFloat = 1.5
    """Query registers: 16 heads x 64 x 12 b (derived from D=64, 12-bit)."""
    cell: Literal["hp", "lstp"] = "hp"
    """CACTI 7 cell and periphery type of every SRAM macro and FIFO (``accelsim/hw/tables/cacti_sram.csv``):
    ``hp`` (itrs-hp: fast, leaky; CACTI's own sample configuration) or ``lstp`` (itrs-lstp: low leakage,
    slow; misses 1 GHz from 16 KB per macro at 40 nm). A macro slower than the clock makes the design
    infeasible."""


class Dram(Strict):
    """Off-chip memory (bandwidth model; the bank-aware model is selected by ``model``)."""

    model: Literal["bandwidth", "bank"] = "bandwidth"
    """Timing model: ``bandwidth`` streams 32-byte transactions at the channels' rate (peak, or
    less under the ``outstanding`` limit);
    ``bank`` runs the bank-aware model (``accelsim.hw.dram``) on the ``preset`` standard."""
    preset: str = "hbm2-spatten"
    """DRAM preset name, YAML or DRAMsim3 .ini (SpAtten Sec. V: HBM2, 16 channels x 2
    pseudo-channels, 512 GB/s): the bank model's standard; the bandwidth model takes its standby
    power (IDD2N) from it."""
    issue: Literal["in-order", "per-channel"] = "per-channel"
    """Bank model: request issue (per-channel: each fetcher channel queues independently)."""
    standard: str = "HBM2"
    """Memory standard (SpAtten Sec. V: HBM2)."""
    channels: PositiveInt = 16
    """Channels (SpAtten Sec. V: 16 x 128-bit channels; RTL SpAtten.scala:29 ``numDRAMChannel``).
    Bank model: the ``preset`` standard runs with this many channels (HBM: 128-bit channels of
    two pseudo-channels), a power of two."""
    channel_gbs: PositiveFloat = 32.0
    """GB/s per channel: 128 bit x 2 Gbps / 8 = 32 GB/s (JESD235, SpAtten Sec. V: 512 GB/s).
    Bandwidth model only: the bank model's channels run at the standard's rate."""
    transaction_bytes: PositiveInt = 32
    """Bytes per transaction (SpAtten RTL: 32-byte AXI reads, MatrixFetcher.scala:54
    ``transactionLength = 32``, SpAtten.scala:249 ``Axi4Config(32, 256)``)."""
    latency_ns: float = Field(40.0, ge=0)
    """Idle read latency, ACT+RD to first data: tRCD 14 + tCL 14 ns + controller/PHY ~12 ns
    (DRAMsim3 HBM2_8Gb_x128.ini timings; controller share is an assumption)."""
    outstanding: PositiveInt = 16
    """Most transactions in flight per channel, issued and not yet returned (SpAtten RTL
    dpi/DRAMSimDPIDriverRamulator2.cpp:14, ``MAX_PENDING_REQS = 16``, one driver per channel,
    SpAtten.scala:241). Bandwidth model, by Little's law: a channel sustains at most
    outstanding x transaction_bytes / latency_ns (16 x 32 B / 40 ns = 12.8 GB/s) and runs at
    the lower of that and ``channel_gbs``; bank model: a channel's controller admits no request
    while this many are in flight."""
    pj_per_bit: PositiveFloat = 3.97
    """Access energy (O'Connor et al., MICRO 2017, 'Fine-Grained DRAM', HBM2 baseline)."""

    @property
    def peak_gbs(self) -> float:
        return self.channels * self.channel_gbs

    @property
    def sustained_gbs(self) -> float:
        """The channels' rate under the outstanding-request limit (Little's law, see
        ``outstanding``); the peak when ``latency_ns`` is 0."""
        if self.latency_ns == 0:
            return self.peak_gbs
        return self.channels * min(self.channel_gbs, self.outstanding * self.transaction_bytes / self.latency_ns)


class Hardware(Strict):
    """A complete accelerator design point.

    Besides the blocks below, a block named after a registered unit (``accelsim.units``) adds that unit
    to the design, its fields validated by the unit's params model; any other key is refused.
    """

    model_config = ConfigDict(extra="allow")  # unit blocks only (_unit_blocks); the rest as Strict

    version: Literal[1] = 1
    """Schema version of this file."""
    name: str = "custom"
    """Label used in reports."""
    clock_ghz: PositiveFloat = 1.0
    """Core clock (SpAtten Sec. V: 1 GHz)."""
    tech_nm: float = Field(40.0, ge=7, le=130)
    """Process node in nm (SpAtten Sec. V: TSMC 40 nm). Logic is priced from 40 nm tables, SRAM
    from CACTI at its own nodes; other nodes scale by Stillmaker & Baas (2017), 7-130 nm."""
    fetcher: Fetcher = Fetcher()
    qk: MulArray = MulArray()
    softmax: Softmax = Softmax()
    pv: MulArray = MulArray()
    topk: TopK = Field(default_factory=TopK)  # built on use: validating it discovers the engines
    sram: Sram = Sram()
    dram: Dram = Dram()

    @model_validator(mode="wrap")
    @classmethod
    def _unit_blocks(cls, data: Any, handler: Any) -> Hardware:
        """Validate the blocks of registered units (``accelsim.units``) with their params models, as
        the extras of the model; refuse other unknown keys."""
        if not isinstance(data, dict) or data.keys() <= cls.model_fields.keys():
            return handler(data)
        from accelsim.units import UNITS  # the registry is discovered only when a config names a unit

        errors: list[InitErrorDetails] = []
        blocks = {}
        for key, val in data.items():
            if key in cls.model_fields:
                continue
            unit = UNITS.get(key) if isinstance(key, str) else None
            if unit is None:
                units = UNITS.names() or "none registered"
                known = f"unknown field; expected one of: {', '.join(cls.model_fields)}, or a unit ({units})"
                errors.append({"type": PydanticCustomError("unknown_unit", known), "loc": (key,), "input": val})
                continue
            try:
                blocks[key] = val if isinstance(val, unit.params) else unit.params.model_validate(val)
            except ValidationError as err:
                errors.extend(_nested(err, key, fields=tuple(unit.params.model_fields)))
        try:
            hw = handler({k: v for k, v in data.items() if k in cls.model_fields})
        except ValidationError as err:
            errors = [*_nested(err), *errors]
        if errors:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        hw.__pydantic_extra__.update(blocks)
        return hw

    @model_validator(mode="after")
    def _check(self) -> Hardware:
        for unit in ("qk", "pv"):
            m = getattr(self, unit).multipliers
            if m & (m - 1):
                raise ValueError(f"{unit}.multipliers must be a power of two, not {m}")
        if self.softmax.parallelism > self.qk.multipliers:
            raise ValueError(f"softmax.parallelism must be at most qk.multipliers ({self.qk.multipliers}): each lane "
                             f"takes a query of qk.multipliers / parallelism elements, not {self.softmax.parallelism}")
        for buf, unit in (("key_kb", self.qk), ("value_kb", self.pv)):
            least = 2 * unit.multipliers * unit.bits / 8192  # a line per bank of the double buffer
            if getattr(self.sram, buf) < least:
                raise ValueError(f"sram.{buf} must hold one {unit.multipliers} x {unit.bits}-bit line in each of "
                                 f"its 2 banks: at least {least:g} KB, not {getattr(self.sram, buf):g}")
        return self

    @property
    def bytes_per_cycle(self) -> float:
        """DRAM peak bytes per core cycle."""
        return self.dram.peak_gbs / self.clock_ghz


def _nested(err: ValidationError, *loc: str, fields: tuple[str, ...] = ()) -> list[InitErrorDetails]:
    """The errors of ``err``, their locations under ``loc``; an unknown key directly under it lists ``fields``."""
    out: list[InitErrorDetails] = []
    for e in err.errors():
        kind = e["type"]
        if fields and kind == "extra_forbidden" and len(e["loc"]) == 1:
            kind = PydanticCustomError("unknown_field", f"unknown field; expected one of: {', '.join(fields)}")
        ctx = {"ctx": e["ctx"]} if "ctx" in e else {}
        out.append({"type": kind, "loc": (*loc, *e["loc"]), "input": e["input"], **ctx})
    return out
