"""Tables of measured costs of the project's RTL (FPGA builds, ASIC synthesis), keyed by engine and
every parameter: loading, and the lookup shared by their users."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Protocol, TypeVar

from pydantic import BaseModel

from accelsim.config.base import read_yaml, validate
from accelsim.topk.params import RESET_VALUES


class Entry(Protocol):
    params: dict[str, int | None]


T = TypeVar("T", bound=BaseModel)
E = TypeVar("E", bound=Entry)


@cache
def load_rtl_table(model: type[T], path: Path) -> T:
    """The table at ``path`` (``model()`` when the file does not exist); a malformed table raises
    :class:`~accelsim.errors.InputError` naming the file and field."""
    if not path.exists():
        return model()
    return validate(model, read_yaml(path) or {}, path)


def find_entry(entries: dict[str, E], engine: str, params: dict[str, int | None]) -> tuple[str, E] | None:
    """The (name, entry) recorded for ``engine`` at ``params``, or None; fields that only set a reset
    value (``RESET_VALUES``) may differ."""
    want = {k: v for k, v in params.items() if k not in RESET_VALUES}
    for name, entry in entries.items():
        if name.split("-", 1)[0] == engine and \
                {k: v for k, v in entry.params.items() if k not in RESET_VALUES} == want:
            return name, entry
    return None
