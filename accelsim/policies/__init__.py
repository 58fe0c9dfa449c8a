"""Phase 1: policies turn workloads into WorkPlans."""

from accelsim.policies import a2ats, duo, h2o, oracle, recycled, snapkv, spatten, streaming  # noqa: F401  (register their planners)
from accelsim.policies.base import POLICIES, make_plan, register

__all__ = ["POLICIES", "make_plan", "register"]
