"""Library entry points: load a workload, plan it with a policy (phase 1), simulate (phase 2)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from accelsim.config import Hardware, PolicyConfig
from accelsim.errors import InputError
from accelsim.hw.cost.actions import op_counts
from accelsim.hw.cost.model import check_timing, costs
from accelsim.hw.fpga import topk_fpga_cost
from accelsim.inputs import content_key
from accelsim.policies import make_plan
from accelsim.sim.dram_bank import peak_bytes_per_cycle
from accelsim.sim.items import item_columns, job_cycles, topk_engine
from accelsim.sim.result import FlatRows, LayerQuality, Quality, SimResult
from accelsim.topk import ENGINES, TopKEngine, get_engine
from accelsim.topk.params import engine_fields
from accelsim.units import stages
from accelsim.workplan import WorkPlan

if TYPE_CHECKING:  # each imported where it is used: a run imports only what its workload and timing need
    import pandas as pd

    from accelsim.sim.engine import Timeline
    from accelsim.sim.fast import FastModel, FastPoint  # numba: imported by whoever builds one
    from accelsim.trace.format import Trace

WORKLOAD_SUFFIXES = {".csv": "SpAtten request trace", ".safetensors": "accelsim trace",
                     ".yaml": "synthetic workload spec"}


def load_workload(path: str | Path, seed: int = 0, engine: TopKEngine | None = None) -> Trace | WorkPlan:
    """A trace (.safetensors), one of the SpAtten authors' request traces (.csv: its top-k jobs get
    ``engine``'s passes, from ``seed``), or a synthetic workload spec (.yaml, e.g.
    ``workloads/bert/``), generated on the fly."""
    path = Path(path)
    if path.suffix in (".yaml", ".yml"):
        from accelsim.config.workload import load_workload_spec
        from accelsim.trace.synthetic import synthetic_trace

        spec = load_workload_spec(path)
        return synthetic_trace(**spec.model_dump(exclude={"kind", "model", "source"}))
    if path.suffix == ".csv":
        from accelsim.trace.spatten_csv import read_spatten_csv

        return read_spatten_csv(path, seed=seed, engine=engine)
    if path.suffix == ".safetensors":
        from accelsim.trace.format import read_trace

        return read_trace(path)
    kinds = ", ".join(f"{k} ({v})" for k, v in WORKLOAD_SUFFIXES.items())
    raise InputError(path, None, f"unknown workload type; expected {kinds}")


def file_sha(path: str) -> str:
    """SHA-256 of a workload file's bytes: its identity in a point's config (``workload.sha256``), so a
    moved workload keeps its points' ids; cached on the file's identity and version
    (:func:`accelsim.inputs.content_key`): an edited file is hashed again."""
    return _sha(content_key(path))


@cache
def _sha(key: tuple[str, int, int, int, int]) -> str:
    h = hashlib.sha256()
    with open(key[0], "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def replays(workload: str | Path | Trace | WorkPlan) -> bool:
    """Whether ``workload`` is (or loads as) a WorkPlan whose top-k passes are recorded, which phase 1
    replays without running an engine's functional model: a SpAtten request trace (.csv)."""
    return isinstance(workload, WorkPlan) or (isinstance(workload, str | Path) and Path(workload).suffix == ".csv")


def plan_key(hw: Hardware, replayed: bool) -> str:
    """The top-k engine phase 1 selects with, the hardware's (the one choice of engine), as
    canonical JSON: ``hw.topk.engine`` and the params its functional model reads
    (``TopKEngine.plan_fields``), what a WorkPlan depends on besides workload and policy (a sweep's
    :class:`~accelsim.sweep.points.PlanKey`). ``replayed``: the workload is a request trace
    (:func:`replays`), whose recorded jobs get that engine's passes drawn from ``--seed``.

    Raises
    ------
    InputError
        On an unknown engine; or where ``hw`` sets a field of the engine's own that only its functional
        model reads (quickselect's ``pivot_seed``, statistical's ``z_frac_bits``) away from its default on
        a request trace, where no selection runs: the field would change nothing.
    """
    name = hw.topk.engine
    cls = ENGINES.get(name)
    if cls is None:
        raise InputError(None, "hw.topk.engine", f"unknown top-k engine {name!r}; expected one of: "
                         f"{ENGINES.names()}")
    values = {**hw.topk.__dict__, **hw.topk.model_extra}  # the engine's own fields are the block's extras
    if replayed:
        own = engine_fields(cls.params_type)
        for field in cls.select_only:
            default = own[field].default
            if values[field] != default:
                raise InputError(None, f"hw.topk.{field}", f"changes nothing here: only {name}'s selection "
                                 "in phase 1 reads it and a request trace's passes are recorded (drawn from "
                                 f"--seed); leave it at {default}")
    return json.dumps({"engine": name, **{f: values[f] for f in cls.plan_fields}}, sort_keys=True)


def engine_from_key(key: str) -> TopKEngine:
    """The engine :func:`plan_key` describes (params it does not name at their defaults: phase 1
    reads none of them)."""
    fields = json.loads(key)
    name = fields.pop("engine")
    try:
        return get_engine(name, ENGINES[name].params_type(**fields))
    except ValueError as err:
        raise InputError(None, "hardware.topk", str(err)) from None


def plan_engine(hw: Hardware, replayed: bool) -> TopKEngine:
    """The engine phase 1 selects with on ``hw`` (:func:`plan_key`)."""
    return engine_from_key(plan_key(hw, replayed))


def plan(policy: PolicyConfig, workload: Trace | WorkPlan, phases: str = "both",
         engine: TopKEngine | None = None) -> WorkPlan:
    """Phase 1; ``engine``: the top-k engine its selections run (:func:`plan_engine`; None:
    quick-select with its defaults)."""
    return make_plan(policy, workload, phases=phases, engine=engine)


def simulate(hw: Hardware, wp: WorkPlan, workload: str = "",
             dram_trace: tuple[Path, str] | None = None) -> tuple[SimResult, Timeline]:
    """Phase 2: time and energy of ``wp`` on ``hw`` (the event engine).

    ``dram_trace = (path, format)`` also writes the DRAM reads the run issued, as a ``dramsim3``
    or ``ramulator2`` trace.
    """
    from accelsim.sim.engine import EventEngine

    _check(hw, wp)
    engine = topk_engine(hw)
    jobs = job_cycles(wp, engine, hw.topk.jobs_in_flight)
    items = item_columns(wp, hw, jobs)
    dram_stats = None
    if hw.dram.model == "bank":
        import pandas as pd

        from accelsim.sim.dram_bank import bank_service

        service, dram_stats = bank_service(wp, pd.DataFrame(items), hw)
        for key, cycles in service.items():
            items[f"{key}_dram"] = cycles
    timeline = EventEngine(hw, wp, items, jobs).run()
    if dram_trace is not None:
        import pandas as pd

        from accelsim.sim.dram_bank import export_trace

        keys = {"key": "k", "key_lsb": "lsb", "value": "v"}
        starts = {(keys[kind], item): start for start, _, _, kind, item in timeline.dram_log if kind in keys}
        log = timeline.dram_frame()
        moves = log[~log["kind"].isin(list(keys))]  # plug-in units' transfers: <unit> writes, <unit>_read reads
        writes = ~moves["kind"].isin([f"{unit.name}_read" for unit, _ in stages(hw)]).to_numpy(bool)
        export_trace(Path(dram_trace[0]), dram_trace[1], wp, pd.DataFrame(items), hw, starts,
                     (moves["start"].to_numpy(), moves["bytes"].to_numpy(), writes))
    side = float(items["side_bytes"].sum())
    by = {"key": float(items["k_bytes"].sum()) - side, "key_lsb": float(items["lsb_bytes"].sum()),
          "value": float(items["v_bytes"].sum()), "side": side}
    for unit, _ in stages(hw):  # plug-in units' DRAM requests (accelsim.units.Unit.dram)
        moved = [items[c].sum() for c in (f"unit_{unit.name}_{w}_bytes" for w in ("read", "write")) if c in items]
        if moved:
            by[unit.name] = float(sum(moved))
    counts = op_counts(wp, engine if hw.topk.count else None)
    result = _result(hw, wp, workload, timeline.cycles, (timeline.busy, timeline.stall, timeline.blocked), by,
                     counts, quality(wp), dram_stats)
    return result, timeline


def simulate_fast(hw: Hardware, model: FastModel, workload: str = "") -> SimResult:
    """Phase 2 on the fast path (``accelsim.sim.fast``, bandwidth DRAM model only); ``model`` binds the
    WorkPlan."""
    res = simulate_fast_many([hw], model, workload)[0]
    if isinstance(res, InputError):
        raise res
    return res


def simulate_fast_many(hws: Sequence[Hardware], model: FastModel, workload: str = "") -> list[SimResult | InputError]:
    """:func:`simulate_fast` on each of ``hws``, timed in one kernel call; a point that cannot run
    has its InputError in its place."""
    fields = _fast_fields(hws, model, workload)  # plain values of each field's type: built without checking again
    return [f if isinstance(f, InputError) else SimResult.model_construct(**f) for f in fields]


def simulate_fast_flat(hws: Sequence[Hardware], model: FastModel, workload: str = "") -> FlatRows:
    """:func:`simulate_fast_many`'s results as table rows (``SimResult.flat``; columns where they can
    be), without building the results."""
    return FlatRows.of(_fast_fields(hws, model, workload))


def _fast_fields(hws: Sequence[Hardware], model: FastModel, workload: str) -> list[dict[str, Any] | InputError]:
    """The SimResult fields of each of ``hws`` timed in one kernel call, or its InputError."""
    wp = model.plan
    out: list[dict[str, Any] | InputError | None] = [None] * len(hws)
    ready = prepare_fast(hws, model, out)
    qual = quality(wp) if model.has_quality else None
    for (i, hw, engine, _), t in zip(ready, model.run_many([r[3] for r in ready]), strict=True):
        counts = model.op_counts(engine if hw.topk.count else None)
        out[i] = _fields(hw, wp, workload, t.cycles, (t.busy, t.stall, t.blocked), t.dram_bytes_by, counts, qual, None)
    return out


def prepare_fast(hws: Sequence[Hardware], model: FastModel,
                 errors: list[Any]) -> list[tuple[int, Hardware, TopKEngine, FastPoint]]:
    """Check each of ``hws`` and prepare it for ``model``'s kernel (``FastModel.prepare``), building the
    tables and unit costs it reads; (index, hardware, top-k engine, prepared point) of those that can
    run, the InputError of each that cannot put in its place in ``errors``."""
    ready = []
    checked = set()  # top-k blocks whose engine check passed: the check reads only hw.topk and the plan
    engines: dict[tuple[int, int], TopKEngine] = {}  # by the identity of the blocks it is built from
    for i, hw in enumerate(hws):
        try:
            check_timing(hw)
            if hw.topk not in checked:
                _check_engine(hw, model.plan)
                checked.add(hw.topk)
            key = (id(hw.topk), id(hw.softmax))  # alive in hws meanwhile: ids not reused
            engine = engines.get(key)
            if engine is None:
                engine = engines[key] = topk_engine(hw)  # reads only hw.topk and hw.softmax
            ready.append((i, hw, engine, model.prepare(hw, engine)))
        except InputError as err:
            errors[i] = err
    return ready


def simulate_behavioural(hw: Hardware, wp: WorkPlan, workload: str = "") -> tuple[SimResult, pd.DataFrame]:
    """Phase 2 with the SpAtten authors' behaviour model (bert.cpp; ``accelsim.sim.behavioural``).

    Returns the SimResult (cycles from the model; ops and on-chip energy from the plan's operation
    counts, DRAM bytes and energy from the model's 32-byte transactions) and the per-layer
    breakdown (``layer_breakdown``: dram, fill, drain, topk, cycles per bert.cpp layer).
    """
    from accelsim.sim.behavioural import BREAKDOWN, BehaviouralParams, layer_breakdown
    from accelsim.sim.bertcpp_profiles import profiles_from_plan

    _check(hw, wp)
    units = stages(hw)
    layers = layer_breakdown(profiles_from_plan(wp), BehaviouralParams.from_hardware(hw), units)
    by = {"key": float(layers["key_bytes"].sum()), "key_lsb": 0.0, "value": float(layers["value_bytes"].sum()),
          "side": 0.0}
    by.update({unit.name: float(layers[f"{unit.name}_bytes"].sum()) for unit, _ in units
               if f"{unit.name}_bytes" in layers})
    counts = op_counts(wp, topk_engine(hw) if hw.topk.count else None)
    busy = {c: float(layers[c].sum()) for c in (*BREAKDOWN, *(unit.name for unit, _ in units))}
    result = _result(hw, wp, workload, float(layers["cycles"].sum()), (busy, {}, {}), by, counts, quality(wp), None)
    return result, layers


def _check(hw: Hardware, wp: WorkPlan) -> None:
    """InputError when ``hw`` cannot run ``wp``: top-k jobs without a top-k engine, or with another
    engine or other engine params than those that drew the plan's passes (plan it again with
    :func:`plan_engine` of ``hw``), a field only phase 1's selection reads set on a plan without
    selections, or SRAMs that miss the clock."""
    check_timing(hw)
    _check_engine(hw, wp)


def _check_engine(hw: Hardware, wp: WorkPlan) -> None:
    """:func:`_check` but the clock: the top-k engine against the plan (reads ``hw.topk``, and
    ``hw.name`` for the message)."""
    jobs = len(wp.topk_table)
    if hw.topk.count == 0 and jobs:
        raise InputError(None, "hardware.topk.count",
                         f"hardware {hw.name!r} has no top-k engine but the plan has {jobs} "
                         "top-k jobs; use a pruning-free policy (e.g. --policy dense)")
    record = wp.engine_record()
    if jobs and record is None:
        raise InputError(None, "hw.topk.engine", f"the plan has {jobs} top-k jobs but records no engine "
                         "that drew their passes (WorkPlan.record_engine)")
    if jobs:
        name, params = record
        if name != hw.topk.engine:
            raise InputError(None, "hw.topk.engine", f"is {hw.topk.engine!r} but the plan's top-k passes were "
                             f"drawn by {name!r}: plan it with this hardware's engine (api.plan_engine)")
        for field, value in params.items():
            if getattr(hw.topk, field) != value:
                raise InputError(None, f"hw.topk.{field}", f"is {getattr(hw.topk, field)!r} but the plan's top-k "
                                 f"passes were drawn with {field} = {value!r}: plan it with this hardware's "
                                 "engine (api.plan_engine)")
    else:
        engine = topk_engine(hw)
        own = engine_fields(engine.params_type)
        for field in engine.select_only:
            default = own[field].default
            if getattr(hw.topk, field) != default:
                raise InputError(None, f"hw.topk.{field}", f"changes nothing here: only the {hw.topk.engine} "
                                 f"engine's selection reads it and policy {wp.meta.get('policy', '')!r} made no "
                                 f"top-k jobs; leave it at {default}")


def _result(hw: Hardware, wp: WorkPlan, workload: str, cycles: float, units: tuple[dict[str, float], ...],
            by: dict[str, float], counts: dict[str, float], qual: Quality | None, dram_stats) -> SimResult:
    """Assemble a SimResult (:func:`_fields`)."""
    return SimResult(**_fields(hw, wp, workload, cycles, units, by, counts, qual, dram_stats))


def _fields(hw: Hardware, wp: WorkPlan, workload: str, cycles: float, units: tuple[dict[str, float], ...],
            by: dict[str, float], counts: dict[str, float], qual: Quality | None, dram_stats) -> dict[str, Any]:
    """A SimResult's fields; ``units``: (work, stall, blocked) cycles per unit; ``dram_stats``: the bank
    model's statistics (None for the bandwidth model)."""
    dram = sum(by.values())
    c = costs(hw, counts, dram, cycles, None if dram_stats is None else dram_stats.energy_pj)
    ebys = c.energy_by
    seconds = cycles / (hw.clock_ghz * 1e9)
    ops = 2.0 * (counts["qk_macs"] + counts["pv_macs"])
    energy = sum(ebys.values())
    static = sum(c.static_by.values())
    return dict(
        hardware=hw.name, policy=str(wp.meta.get("policy", "")), workload=workload,
        cycles=cycles, seconds=seconds, ops=ops, gops=ops / seconds / 1e9 if seconds else 0.0,
        dram_bytes=dram, dram_bytes_by=by, bandwidth_bound_cycles=dram / peak_bytes_per_cycle(hw),
        energy_j=energy, energy_dynamic_j=energy - static, energy_static_j=static, energy_by=ebys,
        energy_static_by=c.static_by, power_w=energy / seconds if seconds else 0.0,
        area_mm2=sum(c.area_by.values()), area_by=c.area_by, actions_by=c.actions_by, requests=len(wp),
        topk_jobs=len(wp.topk_table),
        busy_by=units[0], stall_by=units[1], blocked_by=units[2], quality=qual,
        dram_row_hit_rate=None if dram_stats is None else dram_stats.row_hit_rate,
        topk_fpga=topk_fpga_cost(hw),
    )


def quality(wp: WorkPlan) -> Quality | None:
    """Quality proxies of a plan made from tensors (None for request traces)."""
    if not wp.has_quality:
        return None
    r = wp.requests  # pandas: plans with quality proxies only
    per = r.groupby("layer")[["mass_recall", "out_err"]].mean()
    return Quality(
        mass_recall=float(np.nanmean(r["mass_recall"])), out_err=float(np.nanmean(r["out_err"])),
        topk_recall=float(r["topk_recall"].mean()) if r["topk_recall"].notna().any() else None,
        per_layer=[LayerQuality(layer=int(i), mass_recall=float(a), out_err=float(b))
                   for i, (a, b) in per.iterrows()],
    )
