"""Phase 1: policies turn workloads into WorkPlans."""

from accelsim.policies import (  # noqa: F401  (register their planners)
    a2ats,
    a3,
    duo,
    h2o,
    mnnfast,
    oracle,
    recycled,
    snapkv,
    spatten,
    streaming,
    zipcache,
)
from accelsim.policies.base import POLICIES, make_plan, register

__all__ = ["POLICIES", "make_plan", "register"]
