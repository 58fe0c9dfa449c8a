"""``accelsim show``: a preset or file as the resolved YAML it stands for, ready to copy into a file."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from accelsim.cli.presets import completer


class Kind(StrEnum):
    hw = "hw"
    policy = "policy"
    dram = "dram"
    roofline = "roofline"
    sweep = "sweep"


def resolved(kind: Kind, name: str) -> dict[str, Any]:
    """The validated config ``name`` (a preset or a file) of ``kind`` as plain data, every field filled."""
    from accelsim.config import load_hardware, load_policy, load_roofline

    if kind == Kind.dram:
        from accelsim.hw.dram.spec import load_dram

        return load_dram(name).model_dump(mode="json")
    if kind == Kind.sweep:
        from accelsim.sweep.spec import load_sweep

        return load_sweep(name).model_dump(mode="json")
    load = {Kind.hw: load_hardware, Kind.policy: load_policy, Kind.roofline: load_roofline}[kind]
    return load(name).model_dump(mode="json")


def show(
    kind: Annotated[Kind, typer.Argument(help="What NAME is.")],
    name: Annotated[
        str,
        typer.Argument(
            help="Preset name (see `accelsim presets`) or YAML file; a sweep: its file.", autocompletion=completer("")
        ),
    ],
) -> None:
    """Print a preset or file as YAML with `extends:` applied and every default filled in."""
    import yaml

    data = resolved(kind, name)
    how = "validated" if kind in (Kind.dram, Kind.sweep) else "extends applied"
    print(f"# accelsim show {kind} {name}: {how}, every default filled in")
    print(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=None), end="")


def register(app: typer.Typer) -> None:
    app.command("show")(show)
