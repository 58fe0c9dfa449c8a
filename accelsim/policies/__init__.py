"""Phase 1: policies turn workloads into WorkPlans (one file per policy, found by the registry)."""

from accelsim.policies.base import POLICIES, PolicyEntry, make_plan, register

__all__ = ["POLICIES", "PolicyEntry", "make_plan", "register"]
