"""Top-k engines: functional and cycle models, one params object each, in a registry."""

from accelsim.topk import quickselect  # noqa: F401  (registers the engine)
from accelsim.topk.base import ENGINES, Selection, TopKEngine, TopKParams, get_engine, register

__all__ = ["ENGINES", "Selection", "TopKEngine", "TopKParams", "get_engine", "register"]
