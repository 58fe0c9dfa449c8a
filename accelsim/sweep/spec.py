"""The sweep YAML: a base design, axes to vary, a search, objectives and constraints.

```yaml
version: 1
name: topk_parallelism
base:
  hw: spatten                  # preset name, YAML file, or an inline mapping (may use `extends:`)
  policy: spatten              # likewise
  workload: ../workloads/spatten/summary-gpt2-small-wikitext2-per8.csv   # relative to this file
axes:                          # dotted path -> values; the grid is their Cartesian product
  hw.topk.parallelism: [1, 2, 4, 8, 16, 32]
  hw.dram.channels: {range: [2, 16, 2]}        # start, stop (inclusive), step
  hw.sram.key_kb: {logrange: [32, 512, 5]}      # start, stop (inclusive), count; geometric
zip:                           # groups of axes that vary together (equal lengths)
  - {hw: [spatten, dense], policy: [spatten, dense]}
search: {method: grid}         # or {method: random, samples: 20, seed: 0}
                               # or {method: nsga2, trials: 200, population: 20, seed: 0}
objectives: {cycles: min, energy_j: min}   # or a list of names: [cycles, quality_mass_recall]
constraints: ["area_mm2 <= 2"]
timing: fast                   # fast (accelsim.sim.fast) or event (the reference engine)
```

A path is ``hw.<field>...`` or ``policy.<field>...`` into the hardware or policy config, or one of
``hw``, ``policy``, ``workload`` to swap the whole base reference.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter, ValidationError, field_validator, model_validator

from accelsim.config import Hardware, Strict
from accelsim.config.base import read_yaml, validate
from accelsim.config.policy import REMOVED, policy_models
from accelsim.errors import InputError
from accelsim.registry import load_plugins
from accelsim.sim.result import SimResult
from accelsim.sim.stats import direction

REFS = ("hw", "policy", "workload")
"""Axis paths that swap a whole base reference rather than set one field."""

METRICS: tuple[str, ...] = (
    *(name for name, f in SimResult.model_fields.items() if f.annotation in (float, int)),
    "quality_mass_recall", "quality_out_err",
)
"""Result columns that objectives and constraints may name."""

DEFAULT_OBJECTIVES = {"cycles": "min", "energy_j": "min"}
"""A sweep's objectives when its file names none: the latency-energy trade-off."""

Scalar = int | float | str | bool
MAX_AXIS_VALUES = 100_000
"""Most values of one axis (a range or logrange); a sweep runs ~10^4 points a minute on the fast path."""
MAX_POINTS = 10_000_000
"""Largest grid a sweep may span (grid and random search); ~17 hours at 10^4 points a minute."""
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_CONSTRAINT = re.compile(r"^\s*([A-Za-z_][\w]*)\s*(<=|>=|<|>)\s*([-+0-9.eE]+)\s*$")


class Range(Strict):
    """``{range: [start, stop, step]}``: start, start + step, ... up to stop inclusive."""

    range: tuple[float, float, float] = Field(strict=False)

    @field_validator("range")
    @classmethod
    def _check(cls, v: tuple[float, float, float]) -> tuple[float, float, float]:
        start, stop, step = v
        if step <= 0 or stop < start:
            raise ValueError(f"range needs start <= stop and step > 0, got {list(v)}")
        if (stop - start) / step >= MAX_AXIS_VALUES:
            raise ValueError(f"range {list(v)} has more than {MAX_AXIS_VALUES:,} values")
        return v

    def values(self) -> list[Scalar]:
        start, stop, step = self.range
        count = math.floor((stop - start) / step + 1e-9) + 1
        out = [start + i * step for i in range(count)]
        return [int(x) for x in out] if all(float(x).is_integer() for x in (start, step)) else out


class LogRange(Strict):
    """``{logrange: [start, stop, count]}``: ``count`` geometric steps from start to stop inclusive;
    integer when start and stop are integers (rounded, duplicates dropped)."""

    logrange: tuple[float, float, int] = Field(strict=False)

    @field_validator("logrange")
    @classmethod
    def _check(cls, v: tuple[float, float, int]) -> tuple[float, float, int]:
        start, stop, count = v
        if start <= 0 or stop < start or not 1 <= count <= MAX_AXIS_VALUES:
            raise ValueError(f"logrange needs 0 < start <= stop and 1 <= count <= {MAX_AXIS_VALUES:,}, got {list(v)}")
        return v

    def values(self) -> list[Scalar]:
        start, stop, count = self.logrange
        out = [start * (stop / start) ** (i / (count - 1)) if count > 1 else start for i in range(count)]
        if float(start).is_integer() and float(stop).is_integer():
            return list(dict.fromkeys(round(x) for x in out))
        return out



def axis_values(spec: Any) -> list[Any]:
    """The values of one axis: a non-empty list, ``{range: [...]}`` or ``{logrange: [...]}``."""
    if isinstance(spec, list):
        if not spec:
            raise ValueError("empty axis; give at least one value")
        return spec
    if isinstance(spec, dict) and len(spec) == 1 and next(iter(spec)) in ("range", "logrange"):
        model = Range if "range" in spec else LogRange
        try:
            return model.model_validate(spec).values()
        except ValidationError as err:
            raise ValueError(err.errors()[0]["msg"].removeprefix("Value error, ")) from None
    raise ValueError(f"expected a list of values, {{range: [start, stop, step]}} or "
                     f"{{logrange: [start, stop, count]}}, got {spec!r}")


class Search(Strict):
    """How points are chosen from the grid."""

    method: Literal["grid", "random", "nsga2"] = "grid"
    """grid: every point; random: ``samples`` points drawn without replacement; nsga2: Optuna's
    NSGA-II multi-objective search over the grid's values for ``trials`` trials."""
    samples: int | None = Field(None, ge=1)
    """random: number of points."""
    trials: int | None = Field(None, ge=1, le=MAX_POINTS)
    """nsga2: trial budget (at most ``MAX_POINTS``, as a grid)."""
    population: int = Field(16, ge=2)
    """nsga2: population size (points evaluated per generation)."""
    seed: int = 0
    """Seed of the random draw or of the NSGA-II sampler."""

    @model_validator(mode="after")
    def _check(self) -> Search:
        if self.method == "random" and self.samples is None:
            raise ValueError("search method random needs samples")
        if self.method == "nsga2" and self.trials is None:
            raise ValueError("search method nsga2 needs trials")
        return self


class Base(Strict):
    """The design every point starts from."""

    hw: str | dict[str, Any] = "spatten"
    """Hardware preset name, YAML file (relative to the sweep file), or inline mapping."""
    policy: str | dict[str, Any] = "spatten"
    """Policy preset name, YAML file, or inline mapping (with ``name``)."""
    workload: str
    """Trace (.safetensors) or SpAtten CSV, relative to the sweep file."""
    phases: Literal["prefill", "decode", "both"] = "both"
    """Phases of a trace to plan (request traces are decode only)."""
    seed: int = 0
    """Seed of the pivots of request-trace top-k jobs (as ``accelsim run --seed``)."""


class Sweep(Strict):
    """A sweep file."""

    version: Literal[1] = 1
    name: str = "sweep"
    """Label of the sweep; the default output directory is ``results/<name>``, so it is a plain name
    (letters, digits, ``_.-``; no ``/`` or ``..``)."""
    base: Base
    axes: dict[str, Any] = Field(default_factory=dict)
    """Independent axes: dotted path -> values (a list, a range or a logrange)."""
    zip: list[dict[str, Any]] = Field(default_factory=list)
    """Groups of axes that vary together; the axes of a group have equal lengths."""
    search: Search = Search()
    objectives: dict[str, Literal["min", "max"]] = Field(default_factory=lambda: dict(DEFAULT_OBJECTIVES))
    """Result columns to optimise, each ``min`` or ``max`` (used by nsga2, the Pareto front and the
    report's figures); a list of names takes each one's default direction (``accelsim.sim.stats.direction``:
    max for throughput, DRAM hit rate and recall, else min)."""
    constraints: list[str] = Field(default_factory=list)
    """``metric <= value`` (or ``>=``, ``<``, ``>``); a point that breaks one is infeasible."""
    timing: str = "fast"
    """Timing model (``accelsim.timers``): ``fast`` (accelsim.sim.fast, checked against the event
    engine), ``event``, ``spatten-behavioural`` or a plug-in's."""
    plugins: list[str] = Field(default_factory=list)
    """Plug-in files (``.py``, relative to this file) or modules to import before the sweep is read,
    e.g. a policy or top-k engine of one's own (``accelsim.registry.load_plugins``); once read, a
    file's absolute path."""

    @field_validator("timing")
    @classmethod
    def _timing(cls, v: str) -> str:
        from accelsim.timers import TIMERS

        if v not in TIMERS:
            raise ValueError(f"unknown timing {v!r}; expected one of: {TIMERS.names()}")
        return v

    @field_validator("objectives", mode="before")
    @classmethod
    def _directions(cls, v: Any) -> Any:
        if not (isinstance(v, list) and all(isinstance(n, str) for n in v)):
            return v
        if len(set(v)) < len(v):
            raise ValueError(f"an objective appears twice in {v}")
        return {name: direction(name) for name in v}

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME.match(v) or ".." in v:
            raise ValueError("expected a plain name of letters, digits, '_', '.' and '-' (it names the directory "
                             f"results/<name>), not a path, got {v!r}")
        return v

    @field_validator("objectives")
    @classmethod
    def _objectives(cls, v: dict[str, str]) -> dict[str, str]:
        if not v:
            raise ValueError("at least one objective is needed")
        for name in v:
            if name not in METRICS:
                raise ValueError(f"unknown objective {name!r}; expected one of: {', '.join(METRICS)}")
        return v

    @field_validator("constraints")
    @classmethod
    def _constraints(cls, v: list[str]) -> list[str]:
        for c in v:
            m = _CONSTRAINT.match(c)
            if not m:
                raise ValueError(f"expected 'METRIC <= NUMBER' (or >=, <, >), got {c!r}")
            if m.group(1) not in METRICS:
                raise ValueError(f"unknown metric {m.group(1)!r} in {c!r}; expected one of: {', '.join(METRICS)}")
            try:
                bound = float(m.group(3))
            except ValueError:
                bound = math.nan
            if not math.isfinite(bound):
                raise ValueError(f"expected a finite number after {m.group(2)}, got {m.group(3)!r} in {c!r}")
        return v

    def groups(self) -> list[dict[str, list[Any]]]:
        """The grid's factors: each independent axis alone, then each zipped group."""
        return [{k: axis_values(v)} for k, v in self.axes.items()] + \
            [{k: axis_values(v) for k, v in g.items()} for g in self.zip]

    def parsed_constraints(self) -> list[tuple[str, str, float]]:
        out = []
        for c in self.constraints:
            m = _CONSTRAINT.match(c)
            assert m is not None  # checked by the validator
            out.append((m.group(1), m.group(2), float(m.group(3))))
        return out


def _field_type(model: type[BaseModel], parts: list[str]) -> Any:
    """The annotation of the field at ``parts`` inside ``model`` (in a Hardware, a plug-in unit's block
    is its params model); KeyError naming the bad part."""
    from accelsim.units import UNITS  # numpy: on use only

    node: Any = model
    for i, part in enumerate(parts):
        if node is Hardware and part not in Hardware.model_fields and part in UNITS:
            node = UNITS[part].params
            continue
        is_model = isinstance(node, type) and issubclass(node, BaseModel)
        # a model taking fields beyond its own (hw.topk: the engines') says of which type with extra_field
        info = (node.model_fields.get(part) or getattr(node, "extra_field", lambda _: None)(part)) if is_model else None
        if info is None:
            names = ", ".join(node.model_fields) if is_model else ""
            raise KeyError(f"no field {'.'.join(parts[: i + 1])!r}" + (f"; expected one of: {names}" if names else ""))
        node = info.annotation
        if i == len(parts) - 1:
            return Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
    return node


def check_axis(path: str, values: list[Any], where: str, source: str) -> None:
    """Raise InputError unless ``path`` names a config field (or a reference) and every value has
    the field's type and meets its own bounds (cross-field rules are checked per point)."""
    root, _, rest = path.partition(".")
    if root not in REFS:
        raise InputError(source, f"{where}.{path}", "unknown path; expected hw.<field>..., policy.<field>..., "
                         "or one of: hw, policy, workload")
    if not rest:
        for v in values:
            if not isinstance(v, str):
                raise InputError(source, f"{where}.{path}", f"expected a preset name or file, got {v!r}")
        return
    if root == "workload":
        raise InputError(source, f"{where}.{path}", "the workload has no fields; vary `workload` itself")
    if root == "policy" and rest.partition(".")[0] in REMOVED:
        raise InputError(source, f"{where}.{path}", REMOVED[rest.partition(".")[0]])
    models = [Hardware] if root == "hw" else list(policy_models().values())
    types, errors = [], []
    for m in models:
        try:
            types.append(_field_type(m, rest.split(".")))
        except KeyError as err:
            errors.append(str(err.args[0]))
    if not types:
        raise InputError(source, f"{where}.{path}", f"unknown path: {errors[0]}")
    adapters = [TypeAdapter(t) for t in types]
    for v in values:
        for adapter in adapters:
            try:
                adapter.validate_python(v, strict=True)
                break
            except ValidationError as err:
                first = err.errors()[0]["msg"].removeprefix("Value error, ")
        else:
            raise InputError(source, f"{where}.{path}", f"{first}, got {v!r}")


def check_field(model: type[BaseModel], rest: str, values: list[Any], owner: str, field: str, source: str) -> None:
    """Raise InputError unless ``model`` (the config of ``owner``, e.g. "policy 'spatten' (base.policy)")
    has the field ``rest`` and every value has its type and meets its bounds."""
    try:
        annotation = _field_type(model, rest.split("."))
    except KeyError as err:
        raise InputError(source, field, f"{owner} has {err.args[0]}") from None
    adapter = TypeAdapter(annotation)
    for v in values:
        try:
            adapter.validate_python(v)
        except ValidationError as err:
            msg = err.errors()[0]["msg"].removeprefix("Value error, ")
            raise InputError(source, field, f"{msg} for {owner}, got {v!r}") from None


def sweep_fields(sweep: Sweep) -> dict[str, str]:
    """Axis path -> where the sweep file sets it (``axes`` or ``zip.N``)."""
    out = {k: "axes" for k in sweep.axes}
    for i, g in enumerate(sweep.zip):
        out.update(dict.fromkeys(g, f"zip.{i}"))
    return out


def load_sweep(path: str | Path) -> Sweep:
    """Read and validate a sweep file; errors name the file and the dotted field."""
    return parse_sweep(read_yaml(path), str(path))


def parse_sweep(data: Any, source: str) -> Sweep:
    """Validate a sweep file's content (``data``, read from ``source``); errors name ``source`` and the
    dotted field."""
    if not isinstance(data, dict):
        raise InputError(source, None, "expected a mapping at the top level")
    if "plugins" in data:  # before the rest: they may add the policies, engines and timers it names
        data = {**data, "plugins": list(load_plugins(data["plugins"], Path(source).resolve().parent, source))}
    sweep: Sweep = validate(Sweep, data, source)
    seen: set[str] = set()
    for where, group in [("axes", sweep.axes), *((f"zip.{i}", g) for i, g in enumerate(sweep.zip))]:
        if where != "axes" and not group:
            raise InputError(source, where, "empty zip group")
        lengths = set()
        for axis, values in group.items():
            try:
                vals = axis_values(values)
            except ValueError as err:
                raise InputError(source, f"{where}.{axis}", str(err)) from None
            check_axis(axis, vals, where, source)
            if axis in seen:
                raise InputError(source, f"{where}.{axis}", "axis appears twice")
            seen.add(axis)
            lengths.add(len(vals))
        if where != "axes" and len(lengths) > 1:
            raise InputError(source, where, f"zipped axes need equal lengths, got {sorted(lengths)}")
    size = math.prod(len(axis_values(next(iter(g.values())))) for g in [*({k: v} for k, v in sweep.axes.items()),
                                                                         *sweep.zip])
    limit = MAX_POINTS if sweep.search.method == "grid" else 1 << 62
    if size > limit:
        raise InputError(source, "axes", f"the grid has {size:,} points, more than the {limit:,} a "
                         f"{sweep.search.method} search may span")
    if (sweep.search.samples or 0) > MAX_POINTS:
        raise InputError(source, "search.samples", f"at most {MAX_POINTS:,}, got {sweep.search.samples:,}")
    return sweep
