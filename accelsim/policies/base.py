"""Policy registry: a policy turns a workload (trace or imported WorkPlan) into a WorkPlan."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from accelsim.errors import InputError
from accelsim.topk.params import TopKParams
from accelsim.trace.format import Trace
from accelsim.workplan import WorkPlan

Planner = Callable[[Any, "Trace | WorkPlan"], WorkPlan]
POLICIES: dict[str, Planner] = {}


def register(name: str) -> Callable[[Planner], Planner]:
    """Decorator: make a planner selectable by the ``name`` a policy YAML uses."""

    def deco(fn: Planner) -> Planner:
        POLICIES[name] = fn
        return fn

    return deco


def make_plan(policy: Any, workload: Trace | WorkPlan, *, topk: TopKParams | None = None,
              **options: Any) -> WorkPlan:
    """Run phase 1: apply ``policy`` (a config model with a ``name``) to ``workload``.

    ``topk``: the params of the top-k engines the policy runs (the hardware's,
    ``accelsim.hw.units.topk_params(hw)``, so that e.g. ``hw.topk.pivot_seed`` shapes the
    quick-select passes that phase 2 times); None: the engines' defaults.
    """
    from accelsim.policies.common import ENGINE_PARAMS

    try:
        planner = POLICIES[policy.name]
    except KeyError:
        raise InputError(None, "policy.name", f"unknown policy {policy.name!r}; expected one of: "
                         f"{', '.join(sorted(POLICIES))}") from None
    token = ENGINE_PARAMS.set(topk)
    try:
        return planner(policy, workload, **options)
    finally:
        ENGINE_PARAMS.reset(token)
