"""Phase 1: policies turn workloads into WorkPlans."""

from accelsim.policies import spatten  # noqa: F401  (registers spatten and dense)
from accelsim.policies.base import POLICIES, make_plan, register

__all__ = ["POLICIES", "make_plan", "register"]
