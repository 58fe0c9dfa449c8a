"""A validation row (quantity, the paper's value, accelsim's value, verdict) and its renderings."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Row:
    """One compared quantity. ``status``: ``pass``/``fail`` against ``tolerance`` (relative), or
    ``info`` where the paper gives no comparable number."""

    id: str
    quantity: str
    unit: str
    paper: float | None
    accelsim: float
    tolerance: float | None
    source: str
    """Where the paper's number comes from."""
    method: str
    """How accelsim's number is computed (workload, hardware, policy, formula)."""
    note: str = ""
    """Why the two differ, where they do, or where the paper's method differs."""
    seconds: float = 0.0

    @property
    def ratio(self) -> float | None:
        return self.accelsim / self.paper if self.paper else None

    @property
    def status(self) -> str:
        if self.paper is None or self.tolerance is None:
            return "info"
        return "pass" if abs(self.accelsim / self.paper - 1.0) <= self.tolerance else "fail"

    def to_dict(self) -> dict:
        return {**asdict(self), "ratio": self.ratio, "status": self.status}


@dataclass(frozen=True)
class Case:
    """A group of rows computed together; ``fast`` cases run in CI."""

    name: str
    fast: bool
    compute: Callable[..., list[Row]]


def run_cases(cases: Iterable[Case], runs, fast_only: bool = False,
              progress: Callable[[str], None] | None = None) -> list[Row]:
    """Compute the rows of ``cases`` (only the fast ones with ``fast_only``), timing each case."""
    rows: list[Row] = []
    for case in cases:
        if fast_only and not case.fast:
            continue
        if progress:
            progress(case.name)
        t0 = time.perf_counter()
        out = case.compute(runs)
        dt = (time.perf_counter() - t0) / max(len(out), 1)
        rows.extend(Row(**{**asdict(r), "seconds": dt}) for r in out)
    return rows


def _fmt(x: float | None) -> str:
    if x is None:
        return "–"
    if x == 0 or 0.01 <= abs(x) < 1e5:
        return f"{x:.3g}" if abs(x) < 100 else f"{x:,.0f}"
    return f"{x:.3g}"


def to_markdown(rows: list[Row]) -> str:
    """The validation table as GitHub markdown, then each row's method and note."""
    head = "| # | quantity | paper | accelsim | ratio | tolerance | status |\n|---|---|---:|---:|---:|---:|---|\n"
    body = "".join(
        f"| {i} | {r.quantity} ({r.unit}) | {_fmt(r.paper)} | {_fmt(r.accelsim)} | {_fmt(r.ratio)} | "
        f"{'±' + format(r.tolerance, '.0%') if r.tolerance is not None else '–'} | {r.status} |\n"
        for i, r in enumerate(rows, 1))
    notes = "".join(
        f"{i}. **{r.quantity}** — paper: {r.source}. accelsim: {r.method}."
        + (f" *Gap:* {r.note}" if r.note else "") + "\n"
        for i, r in enumerate(rows, 1))
    return head + body + "\n" + notes
