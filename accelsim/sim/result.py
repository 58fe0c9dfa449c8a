"""SimResult: the typed outcome of one run, as JSON and as one flat table row."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from accelsim.hw.fpga import FpgaCost

FPGA_COLUMNS = ("luts", "ffs", "carries", "brams", "generic_cells", "fmax_mhz", "device")


class LayerQuality(BaseModel):
    model_config = ConfigDict(extra="forbid")
    layer: int
    mass_recall: float
    out_err: float


class Quality(BaseModel):
    """Quality proxies averaged over requests (attention-mass recall, relative output error, top-k
    recall against exact top-k of full attention)."""

    model_config = ConfigDict(extra="forbid")
    mass_recall: float
    out_err: float
    topk_recall: float | None = None
    per_layer: list[LayerQuality]


class SimResult(BaseModel):
    """Timing, traffic, energy and area of one WorkPlan on one hardware config."""

    model_config = ConfigDict(extra="forbid")
    hardware: str
    policy: str
    workload: str
    cycles: float
    seconds: float
    ops: float
    """Executed arithmetic operations: 2 per multiply-accumulate in QxK (incl. recompute) and ProbxV."""
    gops: float
    dram_bytes: float
    dram_bytes_by: dict[str, float]
    bandwidth_bound_cycles: float
    """DRAM bytes / peak bytes per cycle: no schedule can finish sooner."""
    energy_j: float
    energy_by: dict[str, float]
    power_w: float
    area_mm2: float
    area_by: dict[str, float]
    requests: int
    topk_jobs: int
    busy_by: dict[str, float]
    """Cycles each unit was busy (a top-k engine: its selection stage, which output passes overlap)."""
    quality: Quality | None = None
    dram_row_hit_rate: float | None = None
    """Row-buffer hit rate (bank-aware DRAM model only)."""
    topk_fpga: FpgaCost | None = None
    """Measured FPGA cost of one top-k engine (``accelsim rtl build --record``), when the cost table
    has an entry for this design's engine and parameters; None otherwise."""

    def flat(self) -> dict[str, Any]:
        """One table row: scalars, with dict fields spread as ``<field>_<key>`` columns."""
        row: dict[str, Any] = {}
        for key, val in self.model_dump(exclude={"quality", "topk_fpga"}).items():
            if val is None:
                continue
            if isinstance(val, dict):
                row.update({f"{key}_{k}": v for k, v in val.items()})
            else:
                row[key] = val
        for col in FPGA_COLUMNS:  # always present, so a table says where no cost was measured
            row[f"topk_fpga_{col}"] = None if self.topk_fpga is None else getattr(self.topk_fpga, col)
        if self.quality is not None:
            row["quality_mass_recall"] = self.quality.mass_recall
            row["quality_out_err"] = self.quality.out_err
            row["quality_topk_recall"] = self.quality.topk_recall
        return row
