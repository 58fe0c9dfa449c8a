"""``accelsim presets``: the shipped presets of each kind, with a one-line description each."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from accelsim.cli._tables import Format, FormatOption, Sheet, emit
from accelsim.errors import InputError

WORKLOADS = Path(__file__).resolve().parents[2] / "workloads"
"""The shipped workloads: the source tree's ``workloads/`` (not installed with the package)."""

LINE = 90  # characters of a description: one line beside a name on a 120-column terminal
# a sentence ends at ". " unless the word before is an abbreviation the presets use ("Sec. V", "et al. 2019")
_SENTENCE_END = re.compile(r"(?<!\bSec)(?<!\bal)(?<!\bFig)(?<!\be\.g)(?<!\bi\.e)(?<!\bvs)\.(?:\s|$)")


class Kind(StrEnum):
    hw = "hw"
    policy = "policy"
    dram = "dram"
    workload = "workload"
    roofline = "roofline"


def first_sentence(text: str, name: str = "", limit: int = LINE) -> str:
    """The leading ``#`` comment block of a YAML file up to its first full stop, without a leading
    ``name:``; cut after a clause (with "…") when longer than ``limit``."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    block = " ".join(lines).removeprefix(f"{name}: ")
    m = _SENTENCE_END.search(block)
    block = block[: m.start() + 1] if m else block
    if len(block) <= limit:
        return block
    cut = max(block.rfind(sep, 0, limit) for sep in (", ", "; ", ": ", " ("))
    return block[: cut if cut > 0 else limit].rstrip(",;:") + " …"


def _yaml_rows(kind: str, folder: Path) -> list[list[str]]:
    files = sorted(folder.glob("*.yaml"), key=lambda p: p.stem)
    return [[kind, p.stem, first_sentence(p.read_text(), p.stem)] for p in files]


def _workload_rows() -> list[list[str]]:
    """The shipped traces, request CSVs and synthetic shapes, by the path ``-w`` takes from the repository
    root (as the README writes them)."""
    if not WORKLOADS.is_dir():
        return []
    from accelsim.trace.format import read_meta

    rows = []
    for p in sorted(WORKLOADS.glob("*.safetensors")):
        m = read_meta(p)
        rows.append(
            [
                p,
                f"{m.model} trace: {m.layers} layers, {m.heads} heads / {m.kv_heads} KV heads, "
                f"d={m.head_dim}, T={m.prompt_len}, S={m.decode_steps}",
            ]
        )
    for readme in sorted(WORKLOADS.glob("*/README.md")):  # request CSVs: their folder's README table
        for name, what in re.findall(r"^\| `([^`]+\.csv)` \| (.+?) \|$", readme.read_text(), re.M):
            rows.append([readme.parent / name, f"SpAtten authors' request trace (CSV): {what}"])
    rows += [[p, first_sentence(p.read_text())] for p in sorted(WORKLOADS.glob("*/*.yaml"))]
    return [["workload", str(p.relative_to(WORKLOADS.parent)), d] for p, d in rows]


def rows(kind: Kind) -> list[list[str]]:
    """(kind, name, description) of each shipped preset of ``kind``."""
    from accelsim.config import PRESETS

    if kind == Kind.dram:
        from accelsim.hw.dram.spec import _STANDARDS

        return _yaml_rows("dram", Path(str(_STANDARDS)))
    if kind == Kind.workload:
        return _workload_rows()
    return _yaml_rows(str(kind), PRESETS / {"hw": "hardware"}.get(kind, str(kind)))


def completer(kind: str):
    """Shell completion of an option that takes a preset name of ``kind`` (``Kind`` or show's ``sweep``)."""

    def complete(ctx: typer.Context, incomplete: str) -> list[str]:
        chosen = ctx.params.get("kind") or kind  # show NAME completes the kind given before it
        if chosen not in Kind.__members__:
            return []
        return [r[1] for r in rows(Kind(chosen)) if r[1].startswith(incomplete)]

    return complete


def presets(
    kind: Annotated[Kind | None, typer.Argument(help="Only this kind (default: all).")] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List the shipped presets: what --hw, --policy, --dram, -w and the roofline rows take by name."""
    if kind == Kind.workload and not WORKLOADS.is_dir():
        raise InputError(
            str(WORKLOADS),
            None,
            "no shipped workloads here: they live in the source tree's "
            "workloads/ folder, which an installed package does not hold",
        )
    t = Sheet("presets", "", ["kind", "name", "description"])
    for k in [kind] if kind else list(Kind):
        t.rows += rows(k)
    emit(t, fmt)


def register(app: typer.Typer) -> None:
    app.command("presets")(presets)
