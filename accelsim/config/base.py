"""Strict pydantic base model and YAML loading with errors that name file and field."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from accelsim.errors import InputError

M = TypeVar("M", bound=BaseModel)


class Strict(BaseModel):
    """Frozen model that rejects unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate mapping keys."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False):
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)


def read_yaml(path: str | Path) -> Any:
    """Parse a YAML file; any failure becomes an :class:`InputError` naming the file."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise InputError(path, None, "file does not exist") from None
    except OSError as err:
        raise InputError(path, None, f"cannot read file ({err.strerror})") from None
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err)
        raise InputError(path, None, f"malformed YAML: {where}{problem}") from None


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
