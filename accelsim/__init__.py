"""accelsim: cycle-approximate simulator and design-space explorer for sparse-attention accelerators.

``accelsim.run``, ``accelsim.sweep`` and ``accelsim.report`` do from Python what the commands of the
same names do (``accelsim.facade``, imported on first use, as are ``accelsim.sweep`` and
``accelsim.report``: subpackages that are also callable). ``accelsim.__version__`` is read from the
installed metadata on first use too (``importlib.metadata`` costs ``accelsim --help`` 12 ms).
"""

from functools import cache
from importlib import import_module
from typing import Any

__all__ = ["report", "run", "sweep"]


@cache
def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("accelsim")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0.0.0+src"


def __getattr__(name: str) -> Any:
    """``accelsim.__version__``, ``accelsim.run``, and the (callable) subpackages ``accelsim.sweep`` and
    ``accelsim.report``, imported on first use."""
    if name == "__version__":
        return _version()
    if name == "run":
        return import_module("accelsim.facade").run
    if name in ("sweep", "report"):
        return import_module(f"accelsim.{name}")
    raise AttributeError(f"module 'accelsim' has no attribute {name!r}")
