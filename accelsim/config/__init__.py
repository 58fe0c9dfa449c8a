"""Configuration models and loaders (hardware, policy); presets are YAML files shipped here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from accelsim.config.base import Strict, read_yaml, validate
from accelsim.config.hardware import Hardware
from accelsim.config.policy import REMOVED, PolicyConfig, policy_adapter, policy_models
from accelsim.config.roofline import Roofline
from accelsim.errors import InputError
from accelsim.inputs import MAX_EXTENDS
from accelsim.registry import load_plugins

PRESETS = Path(__file__).parent / "presets"

__all__ = [
    "Hardware",
    "PolicyConfig",
    "Roofline",
    "Strict",
    "deep_merge",
    "load_hardware",
    "load_policy",
    "load_roofline",
    "policy_adapter",
    "policy_models",
    "preset_names",
]


def preset_names(kind: str) -> list[str]:
    """Names of the shipped presets of ``kind`` (``hardware``, ``policy`` or ``roofline``)."""
    return sorted(p.stem for p in (PRESETS / kind).glob("*.yaml"))


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Recursive dict merge; values of ``over`` win."""
    out = dict(base)
    for key, val in over.items():
        if isinstance(val, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], val)
        else:
            out[key] = val
    return out


MODELS: dict[str, type[Strict]] = {"hardware": Hardware, "policy": PolicyConfig, "roofline": Roofline}
"""Config model (or base of the models) of each kind of preset."""


def _resolve(kind: str, ref: str | Path | Strict, seen: tuple[str, ...] = (), root: Path | None = None
             ) -> tuple[dict, str]:
    """Read a preset name, YAML path or config object (a model of ``kind``) into a plain dict,
    following ``extends:`` (a relative path from the folder of the file that names it, ``root``)."""
    flag = f"--{'hw' if kind == 'hardware' else kind}"
    if isinstance(ref, MODELS[kind]):
        return ref.model_dump(), f"{type(ref).__name__} {ref.name!r}"
    if not isinstance(ref, str | Path):
        raise InputError(None, flag, f"expected a {kind} preset name, a path to a .yaml file or a {kind} "
                         f"config object, got {type(ref).__name__}")
    ref_s = str(ref)
    path = Path(ref_s) if root is None else root / ref_s
    if path.suffix in (".yaml", ".yml") or path.exists():
        source = str(path)
    else:
        path = PRESETS / kind / f"{ref_s}.yaml"
        if not path.exists():
            policies = policy_models() if kind == "policy" else {}
            if ref_s in policies:  # a policy without a preset (e.g. a plug-in's): its defaults
                return {"name": ref_s}, f"policy {ref_s!r}"
            names = ", ".join(sorted({*preset_names(kind), *policies}))
            raise InputError(None, flag, f"unknown {kind} preset {ref_s!r}; expected one of: {names}, "
                             "or a path to a .yaml file")
        source = f"preset {kind}/{ref_s}"
    data = read_yaml(path)
    if data is None:
        raise InputError(source, None, f"empty file; expected a mapping of {kind} config fields")
    if not isinstance(data, dict):
        raise InputError(source, None, f"expected a mapping at the top level, got {type(data).__name__}")
    parent = data.pop("extends", None)
    if parent is not None:
        if not isinstance(parent, str) or not parent:
            raise InputError(source, "extends", f"expected a preset name or path, got {parent!r}")
        key = str((path.parent / parent).resolve()) if parent.endswith((".yaml", ".yml")) else parent
        if key in seen:
            raise InputError(source, "extends", f"circular extends through {parent!r}")
        if len(seen) >= MAX_EXTENDS:
            raise InputError(source, "extends", f"a chain of more than {MAX_EXTENDS} extends")
        base, _ = _resolve(kind, parent, (*seen, key), path.parent)
        data = deep_merge(base, data)
    plugins = data.pop("plugins", None)  # this file's own (its parents' were loaded and popped above)
    if plugins is not None:
        load_plugins(plugins, path.parent, source)
    return data, source


def load_hardware(ref: str | Path | Hardware, overrides: dict[str, Any] | None = None) -> Hardware:
    """Load a hardware preset by name or from a YAML file, with optional overrides; a Hardware
    object is returned as is, or validated again with the overrides. ``topk.engine`` must name a
    registered engine (``accelsim.topk.ENGINES``, plug-ins included)."""
    if isinstance(ref, Hardware) and not overrides:
        return ref
    data, source = _resolve("hardware", ref)
    if overrides:
        data = deep_merge(data, overrides)
        source += " with --set overrides"
    hw = validate(Hardware, data, source)
    from accelsim.topk import ENGINES  # numpy: on use only

    if hw.topk.engine not in ENGINES:
        raise InputError(source, "topk.engine", f"unknown top-k engine {hw.topk.engine!r}; expected one of: "
                         f"{ENGINES.names()}")
    return hw


def load_policy(ref: str | Path | PolicyConfig, overrides: dict[str, Any] | None = None) -> PolicyConfig:
    """Load a policy preset by name or from a YAML file, with optional overrides; a policy config
    object is returned as is, or validated again with the overrides.

    The ``name`` field picks the model (as :func:`policy_adapter`'s discriminator does), so errors
    name the field as written in the YAML and list that policy's fields.
    """
    if isinstance(ref, PolicyConfig) and not overrides:
        return ref
    data, source = _resolve("policy", ref)
    if overrides:
        data = deep_merge(data, overrides)
        source += " with --set overrides"
    for key in REMOVED.keys() & data.keys():
        raise InputError(source, key, REMOVED[key])
    from accelsim.policies import POLICIES

    entry = POLICIES.get(data["name"]) if isinstance(data.get("name"), str) else None  # its module alone
    if entry is None:
        names = ", ".join(policy_models())
        if "name" not in data:
            raise InputError(source, "name", f"missing; expected one of: {names}")
        raise InputError(source, "name", f"unknown policy {data['name']!r}; expected one of: {names}")
    return validate(entry.config, data, source)


def load_roofline(ref: str | Path) -> Roofline:
    """Load a roofline device preset (``titan-xp``, ``h100-sxm``, ...) by name or from a YAML file."""
    data, source = _resolve("roofline", ref)
    return validate(Roofline, data, source)
