"""Phase 1: policies turn workloads into WorkPlans."""

from accelsim.policies import h2o, oracle, spatten, streaming  # noqa: F401  (register their planners)
from accelsim.policies.base import POLICIES, make_plan, register

__all__ = ["POLICIES", "make_plan", "register"]
