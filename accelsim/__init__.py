"""accelsim: cycle-approximate simulator and design-space explorer for sparse-attention accelerators."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("accelsim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+src"
