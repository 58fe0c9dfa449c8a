"""Tables of measured costs of the project's RTL (FPGA builds, ASIC synthesis), keyed by engine and
every parameter: loading, and the lookup shared by their users."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Protocol, TypeVar

from pydantic import BaseModel

from accelsim.config.base import read_yaml, validate


class Entry(Protocol):
    params: dict[str, int | None]


class Params(Protocol):
    def as_dict(self) -> dict[str, int | None]: ...


T = TypeVar("T", bound=BaseModel)
E = TypeVar("E", bound=Entry)


@cache
def load_rtl_table(model: type[T], path: Path) -> T:
    """The table at ``path`` (``model()`` when the file does not exist); a malformed table raises
    :class:`~accelsim.errors.InputError` naming the file and field."""
    if not path.exists():
        return model()
    return validate(model, read_yaml(path) or {}, path)


def find_entry(entries: dict[str, E], engine: str, params: Params) -> tuple[str, E] | None:
    """The (name, entry) recorded for ``engine`` at ``params``, or None: the entry's value of each of
    ``params``' fields equal, except those that only set a reset value (``params.reset_fields``); an
    entry's fields that ``params`` lacks (another engine's, recorded by older builds) are not compared."""
    skip = getattr(params, "reset_fields", frozenset())
    want = {k: v for k, v in params.as_dict().items() if k not in skip}
    for name, entry in entries.items():
        if name.split("-", 1)[0] == engine and {k: entry.params.get(k) for k in want} == want:
            return name, entry
    return None
