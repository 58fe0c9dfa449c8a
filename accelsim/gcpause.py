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


@contextmanager
def frozen() -> Iterator[None]:
    """What exists on entry frozen out of the cyclic collections inside the block (``gc.freeze``), for work
    whose allocations trigger collections that would walk it again and again; unfrozen after, unless
    something was frozen before (the caller's: it stays frozen, and so does what the block froze)."""
    before = gc.get_freeze_count()
    gc.freeze()
    try:
        yield
    finally:
        if not before:
            gc.unfreeze()
