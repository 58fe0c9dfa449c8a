"""Strict pydantic base model and validation with errors that name file and field (YAML is read by
:func:`accelsim.inputs.read_yaml`, re-exported here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from accelsim.errors import InputError
from accelsim.inputs import read_yaml

__all__ = ["Strict", "describe_validation_error", "read_yaml", "validate"]

M = TypeVar("M", bound=BaseModel)


class Strict(BaseModel):
    """Frozen model that rejects unknown keys, non-finite floats and coercions (``true`` or ``"8"`` is not
    an integer, ``"inf"`` not a float)."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, strict=True, allow_inf_nan=False)


def _allowed(model: Any, path: tuple[Any, ...]) -> list[str]:
    """Field names accepted at ``path`` inside ``model`` (empty when not a plain model path)."""
    for part in path:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return []
        field = model.model_fields.get(str(part))
        if field is None:
            return []
        model = field.annotation
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def describe_validation_error(err: ValidationError, model: Any = None) -> tuple[str, str]:
    """Return (dotted field path, message) of the first error of ``err``."""
    first = err.errors()[0]
    loc = ".".join(str(p) for p in first["loc"] if not str(p).startswith("function-"))
    msg = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        names = _allowed(model, tuple(first["loc"][:-1]))
        msg = "unknown field" + (f"; expected one of: {', '.join(names)}" if names else "")
    elif "input" in first and first["type"] not in ("missing",):
        got = first["input"]
        if not isinstance(got, dict | list):
            msg = f"{msg}, got {got!r}"
    more = len(err.errors()) - 1
    if more:
        msg += f" (and {more} more error{'s' if more > 1 else ''})"
    return loc, msg


def validate(
    model: type[M] | TypeAdapter, data: Any, source: str | Path | None, prefix: str = ""
) -> Any:
    """Validate ``data`` against ``model``, turning pydantic errors into :class:`InputError`."""
    try:
        if isinstance(model, TypeAdapter):
            return model.validate_python(data)
        return model.model_validate(data)
    except ValidationError as err:
        loc, msg = describe_validation_error(err, model)
        field = f"{prefix}{loc}" if loc else (prefix.rstrip(".") or None)
        raise InputError(source, field, msg) from None
