"""A design point's config as table columns: the resolved config flattened to dotted paths, and the
point id hashed from them. ``accelsim run`` and ``accelsim sweep`` both build rows with these, so a
point has one id and one set of config columns whichever wrote it."""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["flatten", "point_config", "point_id"]


def flatten(prefix: str, data: dict[str, Any]) -> dict[str, Any]:
    """``{"qk": {"multipliers": 512}}`` with prefix ``hw`` → ``{"hw.qk.multipliers": 512}``; lists as JSON text."""
    out: dict[str, Any] = {}
    for key, val in data.items():
        path = f"{prefix}.{key}"
        if isinstance(val, dict):
            out.update(flatten(path, val))
        else:
            out[path] = json.dumps(val) if isinstance(val, list | tuple) else val
    return out


def point_config(hw: dict[str, Any], policy: dict[str, Any], workload: dict[str, Any]) -> dict[str, Any]:
    """A point's config columns, as ``accelsim run`` and ``accelsim sweep`` both write them: the resolved
    hardware and policy (``hw.*``, ``policy.*``) and ``workload.*`` (path, sha256, phases, seed, timing)."""
    return {**flatten("hw", hw), **flatten("policy", policy), **flatten("workload", workload)}


def point_id(config: dict[str, Any]) -> str:
    """A stable 16-hex-digit hash of a point's config columns (:func:`point_config`); where the
    workload's content hash is known its path is left out, so a moved workload keeps its points."""
    if config.get("workload.sha256"):
        config = {k: v for k, v in config.items() if k != "workload.path"}
    text = json.dumps(config, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
