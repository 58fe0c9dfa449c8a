"""Policy registry: a policy turns a workload (trace or imported WorkPlan) into a WorkPlan.

A policy is one file: its params model (a :class:`~accelsim.config.policy.PolicyConfig` whose
``name`` is a ``Literal``) and its planner, tied by ``@register(Model)``. The registry finds the
files of this package, the ``accelsim.policies`` entry points and the ``plugins:`` of a YAML config.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from accelsim.config.policy import PolicyConfig, policy_name
from accelsim.errors import InputError
from accelsim.registry import Registry
from accelsim.topk.base import TopKEngine
from accelsim.trace.format import Trace
from accelsim.workplan import WorkPlan

Planner = Callable[[Any, "Trace | WorkPlan"], WorkPlan]


@dataclass(frozen=True)
class PolicyEntry:
    """A registered policy: its params model and its planner."""

    config: type[PolicyConfig]
    plan: Planner


POLICIES: Registry[PolicyEntry] = Registry("policy", "accelsim.policies")


def register(config: type[PolicyConfig]) -> Callable[[Planner], Planner]:
    """Decorator: make a planner selectable by the ``name`` of its params model ``config``."""
    name = policy_name(config)

    def deco(fn: Planner) -> Planner:
        POLICIES.add(name, PolicyEntry(config, fn), fn.__module__)
        return fn

    return deco


def make_plan(policy: Any, workload: Trace | WorkPlan, *, engine: TopKEngine | None = None, **options: Any) -> WorkPlan:
    """Run phase 1: apply ``policy`` (a config model with a ``name``) to ``workload``.

    ``engine``: the top-k engine every selection runs, with its params (the hardware's,
    ``accelsim.api.plan_engine(hw)``, so that e.g. ``hw.topk.pivot_seed`` shapes the quick-select
    passes that phase 2 times); None: quick-select with its defaults. The plan records it
    (:meth:`WorkPlan.record_engine`) unless it already records the engine that made its passes (a
    replayed request trace).
    """
    from accelsim.policies.common import ENGINE, phase_engine

    try:
        planner = POLICIES[policy.name].plan
    except KeyError:
        raise InputError(
            None, "policy.name", f"unknown policy {policy.name!r}; expected one of: {POLICIES.names()}"
        ) from None
    token = ENGINE.set(engine)
    try:
        plan = planner(policy, workload, **options)
        if plan.engine_record() is None:
            plan.record_engine(phase_engine())
        return plan
    finally:
        ENGINE.reset(token)
