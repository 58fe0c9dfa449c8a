"""Phase 1: policies turn workloads into WorkPlans."""

from accelsim.policies import (  # noqa: F401  (register their planners)
    a2ats,
    duo,
    h2o,
    oracle,
    recycled,
    snapkv,
    spatten,
    streaming,
    zipcache,
)
from accelsim.policies.base import POLICIES, make_plan, register

__all__ = ["POLICIES", "make_plan", "register"]
