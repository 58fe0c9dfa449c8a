"""Pausing Python's cyclic garbage collector around work that builds many objects meant to last."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused(settle: bool = False) -> Iterator[None]:
    """No cyclic collection inside the block: each one its allocations trigger would walk the objects it
    built so far again. With ``settle`` what exists at its end is frozen out of later collections
    (``gc.freeze``), that at exit included: for objects that live as long as the process (modules, configs)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if settle:
            gc.freeze()
        if was:
            gc.enable()
