"""The top-k engines' parameters, declared once.

:class:`TopKFields` declares every parameter a design sets, with its default, bounds and source;
:class:`TopKParams` (the engines' models and their RTL) adds the derived ``input_parallelism``,
and the hardware config's ``topk`` block (``accelsim.config.hardware.TopK``) adds the
engine-independent fields. ``accelsim rtl build|verify`` take their option defaults and help from
here too (``RTL_BUILD``, ``RTL_VERIFY``).
"""

from __future__ import annotations

from typing import Any

import annotated_types
from pydantic import BaseModel, ConfigDict, Field

LFSR_SEED = 0xACE1  # 16-bit Galois LFSR start state (Wikipedia "Linear-feedback shift register")


def _used_by(*engines: str) -> dict[str, Any]:
    return {"engines": list(engines)}


class TopKFields(BaseModel):
    """The parameters of a top-k engine that a design sets (all but the derived input rate)."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    parallelism: int = Field(16, ge=1)
    """Scores per cycle, the comparators of each array (SpAtten Sec. IV-D: 16; RTL QuickSelect:
    twice TopK's 8)."""
    width: int = Field(12, ge=1, le=24)
    """Score width in bits; RTL scores are unsigned (SpAtten RTL SpAttenConfig: 12-bit fixed
    point)."""
    index_width: int = Field(10, ge=1, le=24)
    """Index bits; the largest job has ``max_n = 2**index_width`` items (SpAtten Sec. IV-D:
    n = 1024 evaluation point)."""
    fifo_depth: int = Field(64, ge=1)
    """Entries of FIFO_L / FIFO_R (SpAtten Sec. IV-D: depth 64); the RTL's partition buffers hold
    ``max_n`` items instead, so this only sizes the area model."""
    max_k: int | None = Field(None, ge=1)
    """Slots of the ``streaming`` engine, the largest k it returns (None: ``2**index_width``)."""
    pivot_seed: int = Field(LFSR_SEED, ge=1, lt=1 << 16, json_schema_extra=_used_by("quickselect"))
    """Start state of the ``quickselect`` engine's pivot LFSR, reset at each job: nonzero, 16 bits
    (x^16+x^14+x^13+x^11+1; 0xACE1 = 44257, the textbook seed)."""
    z_frac_bits: int = Field(8, ge=1, json_schema_extra=_used_by("statistical"))
    """Fraction bits of the ``statistical`` engine's Φ⁻¹ coefficient z (design choice: z in
    [-8, 8) to 1/256; |Φ⁻¹(1/1024)| = 3.1 fits)."""


FIELD_DEFAULTS: dict[str, Any] = {name: info.default for name, info in TopKFields.model_fields.items()}
"""Each :class:`TopKFields` field's default, read once (a class's ``model_fields`` is slow to reach, and
``hardware.TopK`` checks every field of every design point against it)."""
_USERS: dict[str, tuple[str, ...] | None] = {
    name: tuple(info.json_schema_extra["engines"]) if isinstance(info.json_schema_extra, dict) else None
    for name, info in TopKFields.model_fields.items()
}


def engines_using(name: str) -> list[str] | None:
    """Engines whose outputs a field changes; None: every engine's."""
    users = _USERS[name]
    return None if users is None else list(users)


def unused_fields(engine: str, fields: TopKFields) -> list[str]:
    """Fields of ``fields`` set away from their default although ``engine`` never reads them."""
    out = []
    for name, info in TopKFields.model_fields.items():
        users = engines_using(name)
        if users is not None and engine not in users and getattr(fields, name) != info.default:
            out.append(name)
    return out


def _bound(info: Any, kind: type) -> Any:
    return next((getattr(m, kind.__name__.lower()) for m in info.metadata if isinstance(m, kind)), None)


def _is_int(val: object) -> bool:
    return isinstance(val, int) and not isinstance(val, bool)


def field_errors(name: str, info: Any, val: object) -> list[str]:
    """Why ``val`` is not a value of the field ``name``, from its declared bounds (empty: it is)."""
    if val is None and info.default is None:
        return []
    if not _is_int(val) or val < (_bound(info, annotated_types.Ge) or 1):
        return [f"{name} must be a positive integer{' or None' if info.default is None else ''}, not {val!r}"]
    lt, le = _bound(info, annotated_types.Lt), _bound(info, annotated_types.Le)
    if lt is not None and val >= lt:
        return [f"{name} must be below {lt}, not {val!r}"]
    if le is not None and val > le:
        return [f"{name} must be at most {le}, not {val!r}"]
    return []


class TopKParams(TopKFields):
    """Parameters of one top-k engine, shared by its models and its RTL.

    The fields of :class:`TopKFields` plus ``input_parallelism``: scores per input beat, the
    upstream rate; also the filter pass's rate and the output beat width (SpAtten RTL: 8,
    ``numSoftMaxUnit``). None: ``parallelism``; at most ``parallelism``. A design derives it from
    ``softmax.parallelism`` (``accelsim.hw.units.topk_params``).

    Keyword arguments only; equal when every field is equal, hashable.

    Raises
    ------
    ValueError
        One line listing every field that is out of range.
    """

    input_parallelism: int | None = Field(None, ge=1)
    """Scores per input beat (SpAtten RTL SpAttenController: TopK(numSoftMaxUnit)); None:
    ``parallelism``."""

    def __init__(self, **data: Any) -> None:
        errors = []
        for name, info in type(self).model_fields.items():
            if name in data:
                errors += field_errors(name, info, data[name])
        unknown = sorted(set(data) - set(type(self).model_fields))
        errors += [f"{name} is not a top-k parameter" for name in unknown]
        p, pin = data.get("parallelism", 16), data.get("input_parallelism")
        if _is_int(p) and _is_int(pin) and pin > p:
            errors.append(f"input_parallelism must not exceed parallelism = {p}, not {pin!r}")
        if errors:
            raise ValueError("; ".join(errors))
        if pin is None:
            data = {**data, "input_parallelism": p}
        super().__init__(**data)

    def replace(self, **changes: Any) -> TopKParams:
        """A copy with ``changes`` applied, checked as a new instance (``input_parallelism``
        follows ``parallelism`` only when given as None)."""
        return type(self)(**{**self.as_dict(), **changes})

    def as_dict(self) -> dict[str, int | None]:
        """Every field by name (the key of the RTL cost tables)."""
        return self.model_dump()

    @property
    def max_n(self) -> int:
        """Largest job size: ``2**index_width``."""
        return 1 << self.index_width

    @property
    def slots(self) -> int:
        """Slots of the streaming engine: ``max_k`` or ``max_n``."""
        return self.max_k if self.max_k is not None else self.max_n


# The `accelsim rtl` defaults (the option defaults of `build` and `verify`, declared here once).
RESET_VALUES = frozenset({"pivot_seed"})
"""Fields that only set a register's reset value: the same circuit at every value, so a cost measured
at one value (``accelsim/hw/tables/*_topk.yaml``) holds for all."""
RTL_BUILD = TopKParams(parallelism=4, index_width=8, max_k=16)
"""``accelsim rtl build``: behind its UART, quick-select at P = 4, n <= 256 fits the iCE40-HX8K breakout
(3,272 of 7,680 logic cells, 24 of 32 block RAMs; accelsim/hw/tables/fpga_topk.yaml); 16 streaming slots
(design choice)."""
RTL_VERIFY = TopKParams(parallelism=4, index_width=6)
"""``accelsim rtl verify``: small so that a check takes seconds (n <= 64: fast Icarus runs)."""
