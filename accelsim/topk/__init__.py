"""Top-k engines: functional and cycle models, one params object each, in a registry.

An engine is one module that subclasses :class:`TopKEngine` and registers with ``@register``; the
registry (``ENGINES``) imports this package's modules and the ``accelsim.topk`` entry points on its
first lookup. ``accelsim.topk.base`` (and numpy) load on first use of a name below, so that
``accelsim.topk.params`` (pydantic only) can be imported cheaply, e.g. by the ``accelsim`` command's
option definitions.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from accelsim.topk.base import (
        ENGINES,
        Selection,
        TopKEngine,
        TopKParams,
        engine_params,
        exact_topk_mask,
        get_engine,
        register,
    )

__all__ = [
    "ENGINES",
    "Selection",
    "TopKEngine",
    "TopKParams",
    "engine_params",
    "exact_topk_mask",
    "get_engine",
    "register",
]


def __getattr__(name: str) -> Any:
    """A name of ``__all__``, from ``accelsim.topk.base``."""
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    base = import_module(f"{__name__}.base")
    globals().update({n: getattr(base, n) for n in __all__})
    return globals()[name]
