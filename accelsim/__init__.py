"""accelsim: cycle-approximate simulator and design-space explorer for sparse-attention accelerators.

``accelsim.run``, ``accelsim.sweep`` and ``accelsim.report`` do from Python what the commands of the
same names do (``accelsim.facade``, imported on first use, as are ``accelsim.sweep`` and
``accelsim.report``: subpackages that are also callable).
"""

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("accelsim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+src"

__all__ = ["report", "run", "sweep"]


def __getattr__(name: str) -> Any:
    """``accelsim.run``, and the (callable) subpackages ``accelsim.sweep`` and ``accelsim.report``, imported
    on first use."""
    if name == "run":
        return import_module("accelsim.facade").run
    if name in ("sweep", "report"):
        return import_module(f"accelsim.{name}")
    raise AttributeError(f"module 'accelsim' has no attribute {name!r}")
