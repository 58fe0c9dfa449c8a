"""Roofline devices (GPUs, CPUs): peak compute and memory bandwidth, for stating speedups the way
papers do against platforms accelsim does not simulate."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveFloat

from accelsim.config.base import Strict


class Roofline(Strict):
    """One device: attention on it takes at least ``max(ops / peak, bytes / bandwidth)``."""

    name: str
    kind: Literal["gpu", "cpu"]
    peak_tflops: PositiveFloat
    """Peak dense throughput at ``precision`` (multiply and add counted as two operations)."""
    precision: Literal["fp32", "fp16"]
    """Precision of ``peak_tflops``, and the width of K/V the device reads."""
    bandwidth_gbs: PositiveFloat
    """Peak DRAM bandwidth (GB/s)."""
    power_w: PositiveFloat
    """Board or package power limit (TDP) (W)."""
    measured_tflops: dict[str, PositiveFloat] = Field(default_factory=dict)
    """Attention throughput measured on this device, by workload family (e.g. the SpAtten paper's
    PyTorch/cuDNN measurements), when a paper reports one."""
    source: str
    """Datasheet or paper the numbers come from."""

    @property
    def bytes_per_element(self) -> int:
        return 4 if self.precision == "fp32" else 2

