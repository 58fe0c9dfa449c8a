"""Design points: expansion of a sweep's axes, resolution against the base, stable config hashes.

Resolution happens once in the driver: presets and files are read once, every point becomes plain
dicts (hardware, policy) that workers validate and simulate, and every point gets its whole resolved
configuration as table columns and their hash (``accelsim.config.flat``), which is what the result
store keys finished work on.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ValidationError

from accelsim import api
from accelsim.api import file_sha
from accelsim.config import Hardware, Strict, deep_merge, policy_adapter, policy_models
from accelsim.config import _resolve as resolve_ref
from accelsim.config.base import describe_validation_error
from accelsim.config.flat import point_config, point_id
from accelsim.config.policy import REMOVED
from accelsim.errors import InputError
from accelsim.gcpause import paused
from accelsim.sweep.spec import Sweep, check_field, sweep_fields
from accelsim.units import UNITS


@dataclass(frozen=True)
class PlanKey:
    """What a WorkPlan depends on: the workload, the policy, the phases, the pivot seed and the
    hardware's top-k engine with the params its functional model reads in phase 1."""

    workload: str  # resolved path
    workload_sha: str
    policy: str  # JSON of the validated policy
    phases: str
    seed: int
    topk: str
    """The hardware's engine and the params fields its functional model reads
    (``TopKEngine.plan_fields``) as JSON (``accelsim.api.plan_key``)."""


@dataclass
class Point:
    """One design point, resolved."""

    index: int
    values: dict[str, Any]
    """Axis path -> value."""
    point_id: str = ""
    hw: tuple[tuple[str, Any], ...] = ()
    """Validated hardware config as (field, value) pairs, a unit block's value its own pairs (what a
    worker builds the design from, :func:`accelsim.sweep.evaluate.hardware`); empty when ``error`` is set."""
    plan: PlanKey | None = None
    error: str = ""
    """Why the point cannot be simulated (its configuration fails validation)."""
    labels: dict[str, str] = field(default_factory=dict)
    """hardware, policy and workload names for the table."""
    config: dict[str, Any] = field(default_factory=dict)
    """The whole resolved config as table columns (``accelsim.config.flat.point_config``); the driver
    adds them to the point's row, so workers are sent points without them."""


_BLOCKS: dict[tuple[str, tuple[tuple[str, Any], ...]], BaseModel] = {}
_BLOCK_CACHE_SIZE = 4096  # distinct unit blocks a process keeps; a grid's axes give a few per unit
_SAME: dict[tuple[tuple[str, Any], ...], tuple[tuple[str, Any], ...]] = {}
"""Each unit block's pairs, one object per value: points that share a block share the object, so a
chunk of points pickles each block once (and unpickles it once, ~30 us a point less in a worker)."""
_SEEN: dict[tuple[str, int], tuple[tuple[tuple[str, Any], ...], BaseModel]] = {}
"""Validated blocks by the identity of their pairs (kept alive here, so an id is never reused): a
chunk's points share their block objects, and a dict hit on identity skips hashing the pairs."""


def pairs(dump: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    """A validated config's ``model_dump()`` as (name, value) pairs, a block's value its own pairs: what
    a worker needs to rebuild it, cheaper to send and to read than its JSON. Equal blocks are one object."""
    out = []
    for k, v in dump.items():
        if type(v) is dict:
            block = tuple(v.items())
            v = _SAME.get(block)
            if v is None:
                if len(_SAME) >= _BLOCK_CACHE_SIZE:
                    _SAME.pop(next(iter(_SAME)))
                v = _SAME[block] = block
        out.append((k, v))
    return tuple(out)


def hardware(fields: tuple[tuple[str, Any], ...]) -> Hardware:
    """A point's hardware from its (field, value) pairs (``Point.hw``, which the driver validated whole; :func:`pairs`):
    each unit block validated once per process and shared by the points that have it, the design built
    around them without validating again (``model_construct``); equal to validating it whole."""
    values: dict[str, Any] = {}
    for name, val in fields:
        if type(val) is not tuple:
            values[name] = val
            continue
        seen = _SEEN.get((name, id(val)))
        if seen is not None and seen[0] is val:
            values[name] = seen[1]
            continue
        key = (name, val)
        block = _BLOCKS.get(key)
        if block is None:
            if len(_BLOCKS) >= _BLOCK_CACHE_SIZE:
                _BLOCKS.pop(next(iter(_BLOCKS)))
            info = Hardware.model_fields.get(name)
            model = info.annotation if info is not None else UNITS[name].params  # a plug-in unit's block
            block = _BLOCKS[key] = model.model_validate(dict(val))
        if len(_SEEN) >= _BLOCK_CACHE_SIZE:
            _SEEN.pop(next(iter(_SEEN)))
        _SEEN[(name, id(val))] = (val, block)
        values[name] = block
    return Hardware.model_construct(**values)


def grid_size(groups: list[dict[str, list[Any]]]) -> int:
    return math.prod(len(next(iter(g.values()))) for g in groups)


def grid_point(groups: list[dict[str, list[Any]]], index: int) -> dict[str, Any]:
    """The ``index``-th point of the grid of ``groups`` (last group varies fastest)."""
    out: dict[str, Any] = {}
    for g in reversed(groups):
        index, i = divmod(index, len(next(iter(g.values()))))
        out.update({k: v[i] for k, v in g.items()})
    return {k: out[k] for g in groups for k in g}


def expand(sweep: Sweep) -> list[dict[str, Any]]:
    """Points of a grid or random search (nsga2 asks for its points as it goes)."""
    groups = sweep.groups()
    n = grid_size(groups)
    if sweep.search.method == "random":
        rng = np.random.default_rng(sweep.search.seed)
        picks = rng.choice(n, size=min(sweep.search.samples or n, n), replace=False)
        return [grid_point(groups, int(i)) for i in picks]
    return [grid_point(groups, i) for i in range(n)]


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


class Resolver:
    """Turns axis values into resolved points against a sweep's base."""

    def __init__(self, sweep: Sweep, source: str | Path, root: Path | None = None) -> None:
        """``root``: the folder relative references start from (default: the sweep file's)."""
        self.sweep = sweep
        self.source = str(source)
        self.root = root or Path(source).resolve().parent
        self._refs: dict[tuple[str, str], dict[str, Any]] = {}
        self._policies: dict[str, tuple[str, str, str]] = {}
        self._models: dict[str, Any] = {}
        """Validated policies by their JSON."""
        self._workloads: dict[str, tuple[str, str]] = {}

    def _ref(self, kind: str, ref: str | dict[str, Any], field_name: str) -> dict[str, Any]:
        """A preset name, file (relative to the sweep) or inline mapping as a plain dict."""
        if isinstance(ref, dict):
            data = dict(ref)
            parent = data.pop("extends", None)
            if parent is not None and not isinstance(parent, str):
                raise InputError(self.source, f"{field_name}.extends",
                                 f"expected a preset name or path, got {parent!r}")
            return deep_merge(self._ref(kind, parent, field_name), data) if parent is not None else data
        if not isinstance(ref, str):
            raise InputError(self.source, field_name, f"expected a preset name, file or mapping, got {ref!r}")
        key = (kind, ref)
        if key not in self._refs:
            path = self.root / ref
            target = str(path) if ref.endswith((".yaml", ".yml")) or path.exists() else ref
            try:
                self._refs[key] = resolve_ref(kind, target)[0]
            except InputError as err:
                raise InputError(self.source, field_name, err.message if err.source is None else str(err)) from None
        return self._refs[key]

    def workload(self, ref: str, field_name: str = "base.workload") -> tuple[str, str]:
        """(resolved path, SHA-256) of a workload file named relative to the sweep file."""
        if ref not in self._workloads:
            path = (self.root / ref).resolve()
            if not path.is_file():
                raise InputError(self.source, field_name, f"workload file {str(path)!r} does not exist")
            self._workloads[ref] = str(path), file_sha(str(path))
        return self._workloads[ref]

    def check(self) -> None:
        """Read every base and swapped reference (presets, files, workloads) once and validate the
        configuration each names; check that every axis field exists in each configuration it meets
        and takes its values. A wrong sweep file fails here, before any point runs; what is left to a
        point are the configs' own rules on combined values (it becomes an infeasible row)."""
        b = self.sweep.base
        groups = self.sweep.groups()
        axes = {k: v for g in groups for k, v in g.items()}
        where = sweep_fields(self.sweep)
        for root, kind in (("hw", "hardware"), ("policy", "policy")):
            fields = [p for p in axes if p.startswith(f"{root}.")]
            base_ref = getattr(b, root)
            label = f"{where[root]}.{root}" if root in axes else f"base.{root}"
            self._checked_model(kind, base_ref, "base." + root, fields)
            for ref, path, values in self._meetings(groups, root, base_ref, fields):
                model, owner = self._checked_model(kind, ref, label, fields)
                check_field(model, path.partition(".")[2], values, owner, f"{where[path]}.{path}", self.source)
        for ref in [b.workload, *axes.get("workload", [])]:
            self.workload(ref, f"{where['workload']}.workload" if ref is not b.workload else "base.workload")

    @staticmethod
    def _meetings(groups: list[dict[str, list[Any]]], root: str, base_ref: Any,
                  fields: list[str]) -> list[tuple[Any, str, list[Any]]]:
        """(reference, field axis, the values of the axis that points with that reference take)."""
        refs = next((g[root] for g in groups if root in g), [base_ref])
        out = []
        for path in fields:
            group = next(g for g in groups if path in g)
            if root in group:  # zipped with the reference: only pairs meet
                out += [(r, path, [v]) for r, v in zip(group[root], group[path], strict=True)]
            else:
                out += [(r, path, group[path]) for r in refs]
        return out

    def _checked_model(self, kind: str, ref: str | dict[str, Any], label: str,
                       fields: list[str]) -> tuple[type[Strict], str]:
        """The config model of a reference and how errors name it; InputError when the reference
        alone fails validation outside the fields that axes set."""
        data = self._ref(kind, ref, label)
        shown = ref if isinstance(ref, str) else data.get("name", "inline")
        if kind == "hardware":
            model: type[Strict] = Hardware
        else:
            models = policy_models()
            names = ", ".join(models)
            if "name" not in data:
                raise InputError(self.source, label, f"policy {shown!r} has no name; expected one of: {names}")
            for key in REMOVED.keys() & data.keys():
                raise InputError(self.source, label, f"policy {shown!r}, field {key!r}: {REMOVED[key]}")
            model = models.get(data["name"]) if isinstance(data["name"], str) else None
            if model is None:
                raise InputError(self.source, label, f"unknown policy {data['name']!r}; expected one of: {names}")
        owner = f"{kind} {shown!r} ({label})"
        try:
            model.model_validate(data)
        except ValidationError as err:
            swept = [f.partition(".")[2] for f in fields]
            for e in err.errors():
                loc = ".".join(str(p) for p in e["loc"] if not str(p).startswith("function-"))
                if not any(f == loc or f.startswith(f"{loc}.") or loc.startswith(f"{f}.") or not loc for f in swept):
                    one = ValidationError.from_exception_data(err.title, [e])  # type: ignore[list-item]
                    where, msg = describe_validation_error(one, model)
                    raise InputError(self.source, label, f"{kind} {shown!r}, field {where}: {msg}") from None
        return model, owner

    def resolve(self, index: int, values: dict[str, Any]) -> Point:
        """Apply ``values`` to the base; a configuration that fails validation becomes an error."""
        b = self.sweep.base
        refs = {"hw": values.get("hw", b.hw), "policy": values.get("policy", b.policy),
                "workload": values.get("workload", b.workload)}
        where = {k: f"axes.{k}" if k in values else f"base.{k}" for k in refs}
        hw = self._ref("hardware", refs["hw"], where["hw"])
        pol = self._ref("policy", refs["policy"], where["policy"])
        for path, v in values.items():
            root, _, rest = path.partition(".")
            if rest:
                over: Any = v
                for part in reversed(rest.split(".")):
                    over = {part: over}
                if root == "hw":
                    hw = deep_merge(hw, over)
                else:
                    pol = deep_merge(pol, over)
        wl_path, wl_sha = self.workload(refs["workload"])
        point = Point(index=index, values=values)
        errors = []
        try:
            hw_model = Hardware.model_validate(hw)
            hw_dump = hw_model.model_dump()
            point.hw = pairs(hw_dump)
        except ValidationError as err:
            loc, msg = describe_validation_error(err, Hardware)
            errors.append(f"hardware {loc}: {msg}" if loc else f"hardware: {msg}")
            hw_model = None
        pol_json, pol_name, pol_error = self._policy(_canonical(pol))
        if pol_error:
            errors.append(pol_error)
        topk = ""
        if hw_model is not None and not pol_error:
            try:
                topk = api.plan_key(hw_model, api.replays(wl_path))
            except InputError as err:
                errors.append(f"{err.field}: {err.message}")
        workload = {"path": wl_path, "sha256": wl_sha, "phases": b.phases, "seed": b.seed, "timing": self.sweep.timing}
        model = self._models.get(pol_json)
        point.config = point_config(hw_dump if hw_model else hw,
                                    model.model_dump() if model is not None else pol, workload)
        point.point_id = point_id(point.config)
        point.labels = {"hardware": hw_model.name if hw_model else str(hw.get("name", "")),
                        "policy": pol_name, "workload": Path(wl_path).name}
        if errors:
            point.error = "; ".join(errors)
        else:
            point.plan = PlanKey(wl_path, wl_sha, pol_json, b.phases, b.seed, topk)
        return point

    def _policy(self, raw: str) -> tuple[str, str, str]:
        """(canonical JSON, name, error) of a merged policy mapping given as canonical JSON; cached,
        since most sweeps have few distinct policies."""
        if raw not in self._policies:
            pol = json.loads(raw)
            try:
                if "name" not in pol:
                    raise InputError(None, "policy.name", f"missing; expected one of: {', '.join(policy_models())}")
                for key in REMOVED.keys() & pol.keys():
                    raise InputError(None, f"policy.{key}", REMOVED[key])
                model = policy_adapter().validate_python(pol)
                self._policies[raw] = (model.model_dump_json(), model.name, "")
                self._models[model.model_dump_json()] = model
            except ValidationError as err:
                loc, msg = describe_validation_error(err)
                why = f"policy {loc}: {msg}" if loc else f"policy: {msg}"
                self._policies[raw] = (raw, str(pol.get("name", "")), why)
            except InputError as err:
                self._policies[raw] = (raw, "", f"{err.field}: {err.message}")
        return self._policies[raw]

    def resolve_all(self, points: list[dict[str, Any]], start: int = 0) -> list[Point]:
        """:meth:`resolve` of each, the cyclic garbage collector paused meanwhile: the points are built to
        last, and collections triggered by building them would walk the ones built before again and again."""
        with paused():
            return [self.resolve(start + i, v) for i, v in enumerate(points)]


def resolve_listed(sweep: Sweep, resolver: Resolver) -> list[Point] | None:
    """Every point of a grid or random search, resolved and validated before any runs (None for nsga2,
    which picks its points as it goes); InputError when not one of them is a valid configuration."""
    if sweep.search.method == "nsga2":
        return None
    points = resolver.resolve_all(expand(sweep))
    if points and all(p.error for p in points):
        at = ", ".join(f"{k}={v}" for k, v in points[0].values.items()) or "the base"
        raise InputError(resolver.source, None, f"none of the {len(points)} points is a valid configuration; "
                         f"the first ({at}): {points[0].error}")
    return points


def chunks(points: list[Point], size: int) -> list[list[Point]]:
    """Group simulable points by WorkPlan, then cut each group into chunks of at most ``size``."""
    by: dict[PlanKey, list[Point]] = {}
    for p in points:
        if p.plan is not None:
            by.setdefault(p.plan, []).append(p)
    return [g[i:i + size] for g in by.values() for i in range(0, len(g), size)]
