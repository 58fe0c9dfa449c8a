"""The timer interface and its registry."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from accelsim.errors import InputError
from accelsim.registry import Registry

if TYPE_CHECKING:
    import pandas as pd

    from accelsim.config.hardware import Hardware
    from accelsim.sim.result import FlatRows, SimResult
    from accelsim.workplan import WorkPlan


@dataclass
class Timed:
    """One timed run: the result and the detail tables a timer has (None where it has none)."""

    result: SimResult
    dram: pd.DataFrame | Callable[[], pd.DataFrame] | None = None
    """DRAM transfers (start, end, bytes, kind, item; cycles), or a function that builds them on use."""
    layers: pd.DataFrame | None = None
    """Per-layer breakdown of the cycles."""


class Timer(ABC):
    """Times a WorkPlan on a hardware config (phase 2).

    A sweep calls :meth:`prepare` once per WorkPlan and :meth:`time` once per hardware point, so
    a timer does its hardware-independent work in ``prepare``.
    """

    name: ClassVar[str]
    dram_trace: ClassVar[bool] = False
    """Whether :meth:`time` can write the DRAM reads it issued (``dram_trace=(path, format)``)."""

    def prepare(self, plan: WorkPlan) -> Any:
        """What :meth:`time` takes for ``plan`` (default: the plan itself)."""
        return plan

    @abstractmethod
    def time(
        self, hw: Hardware, prepared: Any, workload: str = "", dram_trace: tuple[Path, str] | None = None
    ) -> Timed:
        """Time ``prepared`` (from :meth:`prepare`) on ``hw``; ``workload`` labels the result."""

    def warm(self, hws: Sequence[Hardware], prepared: Any) -> None:
        """Build what timing ``hws`` on ``prepared`` reads and keeps (tables, unit costs), without
        timing them: a local sweep's driver does it for all its points before its workers fork, so
        that they share it. Default: nothing."""
        return None

    def flat_many(self, hws: Sequence[Hardware], prepared: Any, workload: str = "") -> FlatRows:
        """:meth:`time_many` as table rows (``SimResult.flat``); a timer that can skip building the
        results overrides it."""
        from accelsim.sim.result import FlatRows

        timed = self.time_many(hws, prepared, workload)
        return FlatRows([t if isinstance(t, InputError) else t.result.flat() for t in timed])

    def time_many(self, hws: Sequence[Hardware], prepared: Any, workload: str = "") -> list[Timed | InputError]:
        """:meth:`time` on each of ``hws`` (a sweep's chunk), a point that cannot run having its
        InputError in its place; a timer that does better on many points at once overrides it."""
        out: list[Timed | InputError] = []
        for hw in hws:
            try:
                out.append(self.time(hw, prepared, workload))
            except InputError as err:
                out.append(err)
        return out


TIMERS: Registry[type[Timer]] = Registry("timer", "accelsim.timers")


def register(cls: type[Timer]) -> type[Timer]:
    """Class decorator: make a timer selectable by its ``name``."""
    TIMERS.add(cls.name, cls, cls.__module__)
    return cls


def get_timer(name: str, field: str = "--timing") -> Timer:
    """The timer ``name``; an unknown name is an input error on ``field`` listing the timers."""
    if not isinstance(name, str) or name not in TIMERS:
        raise InputError(None, field, f"expected one of: {TIMERS.names()}, got {name!r}")
    return TIMERS[name]()
