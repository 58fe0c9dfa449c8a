"""Sweep fixtures: sweep files over the small synthetic trace, written into a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml


@pytest.fixture
def write_sweep(tmp_path, small_trace_file):
    """``write_sweep(name, **fields)`` -> path of a sweep file on the small trace."""

    def write(name: str = "s", **fields) -> Path:
        spec = {"version": 1, "name": name, "base": {"hw": "spatten", "policy": "spatten",
                                                     "workload": str(small_trace_file)}}
        spec.update(fields)
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(spec, sort_keys=False))
        return path

    return write
