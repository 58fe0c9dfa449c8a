"""Top-k engines: functional and cycle models, one params object each, in a registry."""

from accelsim.topk import quickselect, sorter, statistical, streaming  # noqa: F401  (registers)
from accelsim.topk.base import (
    ENGINES,
    Selection,
    TopKEngine,
    TopKParams,
    exact_topk_mask,
    get_engine,
    register,
)

__all__ = ["ENGINES", "Selection", "TopKEngine", "TopKParams", "exact_topk_mask", "get_engine",
           "register"]
