"""Policy configuration: the base of every policy's params model, the field types they share, and
the set of models, read from the policy registry when a config is loaded.

Each policy declares its own params model beside its planner (``accelsim/policies/<name>.py``, or a
plug-in's file); its ``name`` (a ``Literal``) is the discriminator of :func:`policy_adapter`.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import Field, TypeAdapter

from accelsim.config.base import Strict

Ratio = Annotated[float, Field(ge=0.0, le=1.0)]
Bits = Annotated[int, Field(ge=1, le=16)]
Budget = Annotated[float, Field(gt=0.0, le=1.0)]
REMOVED = {"engine": "removed: a policy selects with the hardware's top-k engine; set hw.topk.engine instead"}
"""Fields no policy takes any more, refused with why (rather than as unknown)."""


class PolicyConfig(Strict):
    """Base of a policy's params model; a subclass declares ``name: Literal["<policy>"] = "<policy>"``."""

    name: str
    """The policy, by its registered name."""


def policy_name(model: type[PolicyConfig]) -> str:
    """The name a policy model declares (its ``name`` field's one ``Literal`` value).

    Raises
    ------
    TypeError
        ``model`` is not a :class:`PolicyConfig`, or its ``name`` is not ``Literal["<policy>"]`` with
        that default.
    """
    if not (isinstance(model, type) and issubclass(model, PolicyConfig)):
        raise TypeError(f"a policy's params model must subclass accelsim.config.policy.PolicyConfig, not {model!r}")
    field = model.model_fields["name"]
    args = get_args(field.annotation) if get_origin(field.annotation) is Literal else ()
    if len(args) != 1 or field.default != args[0]:
        raise TypeError(f"{model.__name__}.name must be declared as name: Literal[<policy>] = <policy>")
    return args[0]


def policy_models() -> dict[str, type[PolicyConfig]]:
    """Every registered policy's params model, by name (sorted)."""
    from accelsim.policies import POLICIES

    return {name: POLICIES[name].config for name in sorted(POLICIES)}


def policy_adapter() -> TypeAdapter[Any]:
    """Validator of any registered policy's config: the union of their models, discriminated by
    ``name`` (built from the registry, rebuilt when a plug-in adds a policy)."""
    return _adapter(tuple(policy_models().values()))


@cache
def _adapter(models: tuple[type[PolicyConfig], ...]) -> TypeAdapter[Any]:
    return TypeAdapter(Annotated[Union[models], Field(discriminator="name")])  # noqa: UP007  (a runtime tuple)
