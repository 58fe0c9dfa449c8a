"""Policy registry: a policy turns a workload (trace or imported WorkPlan) into a WorkPlan."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from accelsim.errors import InputError
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


def make_plan(policy: Any, workload: Trace | WorkPlan, **options: Any) -> WorkPlan:
    """Run phase 1: apply ``policy`` (a config model with a ``name``) to ``workload``."""
    try:
        planner = POLICIES[policy.name]
    except KeyError:
        raise InputError(None, "policy.name", f"unknown policy {policy.name!r}; expected one of: "
                         f"{', '.join(sorted(POLICIES))}") from None
    return planner(policy, workload, **options)
