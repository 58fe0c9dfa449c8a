"""Roofline time of a workload on a device accelsim does not simulate (GPU, CPU)."""

from __future__ import annotations

from dataclasses import dataclass

from accelsim.config.roofline import Roofline


@dataclass(frozen=True)
class RooflineTime:
    seconds: float
    compute_s: float
    memory_s: float

    @property
    def bound(self) -> str:
        return "compute" if self.compute_s >= self.memory_s else "memory"


def roofline_time(device: Roofline, ops: float, elements: float, tflops: float | None = None) -> RooflineTime:
    """Lower bound on the time of ``ops`` operations that read ``elements`` K/V elements at the
    device's precision; ``tflops`` replaces the peak (e.g. a measured throughput)."""
    compute = ops / ((tflops or device.peak_tflops) * 1e12)
    memory = elements * device.bytes_per_element / (device.bandwidth_gbs * 1e9)
    return RooflineTime(max(compute, memory), compute, memory)
