"""The top-k engines' shared parameters; each engine's own live in its module.

:class:`TopKShared` declares the fields every engine has (comparators, widths, FIFO depth), with their
defaults, bounds and sources; :class:`TopKParams` (the engines' models and their RTL) adds the derived
``input_parallelism``. An engine that reads more declares a subclass of :class:`TopKParams` beside its
models (``QuickSelectParams.pivot_seed`` in ``accelsim/topk/quickselect.py``) and names it as its
``TopKEngine.params_type``. The hardware config's ``topk`` block (``accelsim.config.hardware.TopK``) is
the shared fields, the design's, and the chosen engine's own (:func:`engine_fields`); ``accelsim rtl
build|verify`` take their defaults from the engine's model too (``rtl_build``, ``rtl_verify``).

This module imports pydantic only, so that the ``accelsim`` command's option definitions stay cheap.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from types import MappingProxyType
from typing import Any, ClassVar

import annotated_types
from pydantic import BaseModel, ConfigDict, Field
from pydantic.fields import FieldInfo


class TopKShared(BaseModel):
    """The parameters every top-k engine has and a design sets."""

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


def _bound(info: Any, kind: type) -> Any:
    return next((getattr(m, kind.__name__.lower()) for m in info.metadata if isinstance(m, kind)), None)


def _is_int(val: object) -> bool:
    return isinstance(val, int) and not isinstance(val, bool)


def field_errors(name: str, info: FieldInfo, val: object) -> list[str]:
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


class TopKParams(TopKShared):
    """Parameters of one top-k engine, shared by its models and its RTL; an engine that reads more
    subclasses it (its ``TopKEngine.params_type``).

    The fields of :class:`TopKShared` plus ``input_parallelism``: scores per input beat, the
    upstream rate; also the filter pass's rate and the output beat width (SpAtten RTL: 8,
    ``numSoftMaxUnit``). None: ``parallelism``; at most ``parallelism``. A design derives it from
    ``softmax.parallelism`` (``accelsim.hw.units.topk_params``).

    Keyword arguments only; equal when every field and the class are equal, hashable.

    Raises
    ------
    ValueError
        One line listing every field that is out of range or unknown to this engine's model.
    """

    input_parallelism: int | None = Field(None, ge=1)
    """Scores per input beat (SpAtten RTL SpAttenController: TopK(numSoftMaxUnit)); None:
    ``parallelism``."""

    reset_fields: ClassVar[frozenset[str]] = frozenset()
    """Fields that only set a register's reset value: the same circuit at every value, so a cost measured
    at one value (``accelsim/hw/tables/*_topk.yaml``) holds for all."""
    rtl_build: ClassVar[Mapping[str, int | None]] = MappingProxyType({"parallelism": 4, "index_width": 8})
    """``accelsim rtl build``'s defaults: behind its UART, quick-select at P = 4, n <= 256 fits the
    iCE40-HX8K breakout (3,272 of 7,680 logic cells, 24 of 32 block RAMs;
    accelsim/hw/tables/fpga_topk.yaml)."""
    rtl_verify: ClassVar[Mapping[str, int | None]] = MappingProxyType({"parallelism": 4, "index_width": 6})
    """``accelsim rtl verify`` and ``run``'s defaults: small so that a check takes seconds (n <= 64: fast
    Icarus runs)."""

    def __init__(self, **data: Any) -> None:
        fields = type(self).model_fields
        errors = [e for name, info in fields.items() if name in data for e in field_errors(name, info, data[name])]
        errors += [f"{name} is not a parameter of {type(self).__name__}" for name in sorted(set(data) - set(fields))]
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


SHARED_FIELDS = tuple(TopKShared.model_fields)
"""The fields of :class:`TopKShared`, in order (read once: a class's ``model_fields`` is slow to reach)."""


@cache
def engine_fields(params_type: type[TopKParams]) -> dict[str, FieldInfo]:
    """The fields an engine's params model adds to :class:`TopKParams`: the engine's own (cached: read
    per design point; do not mutate).

    Raises
    ------
    TypeError
        ``params_type`` is not a subclass of :class:`TopKParams`.
    """
    if not (isinstance(params_type, type) and issubclass(params_type, TopKParams)):
        raise TypeError(f"an engine's params_type must subclass accelsim.topk.params.TopKParams, not {params_type!r}")
    return {k: v for k, v in params_type.model_fields.items() if k not in TopKParams.model_fields}
