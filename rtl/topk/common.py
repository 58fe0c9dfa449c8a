"""Pieces shared by the top-k components: parameter checks, stream layouts, the registry."""

from __future__ import annotations

from amaranth import unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from accelsim.registry import Named
from accelsim.topk.base import ENGINES, TopKParams

ENGINE_COMPONENTS: Named[type[wiring.Component]] = Named(ENGINES)
"""The RTL component of each engine that has one (found through ``TopKEngine.rtl``)."""


def register_component(name: str):
    """Class decorator: the RTL component of the top-k engine called ``name``."""

    def wrap(cls: type[wiring.Component]) -> type[wiring.Component]:
        cls.ENGINE = name
        ENGINE_COMPONENTS.add(name, cls)
        return cls

    return wrap


def build_component(engine: str, params: TopKParams) -> wiring.Component:
    """Instantiate the RTL of ``engine``; unknown names list the engines that have RTL."""
    try:
        cls = ENGINE_COMPONENTS[engine]
    except KeyError:
        raise KeyError(
            f"top-k engine {engine!r} has no RTL; expected one of: {', '.join(sorted(ENGINE_COMPONENTS))}"
        ) from None
    return cls(params)


def check_params(params: object, *, lanes: bool = True, narrow_input: bool = True) -> TopKParams:
    """Check that ``params`` can be built in RTL; raise with every reason at once.

    ``narrow_input`` False: the engine's RTL takes input beats of ``parallelism`` lanes only.

    Raises
    ------
    TypeError
        If ``params`` is not a :class:`TopKParams`.
    ValueError
        If a parallelism is not a power of two, ``parallelism`` exceeds ``max_n``, or the input
        parallelism differs from ``parallelism`` where the RTL cannot take narrower beats.
    """
    if not isinstance(params, TopKParams):
        raise TypeError(f"Top-k parameters must be a TopKParams, not {params!r}")
    errors = []
    p = params.parallelism
    if lanes and p & (p - 1):
        errors.append(f"parallelism must be a power of two in RTL, not {p!r}")
    if lanes and p > params.max_n:
        errors.append(f"parallelism must not exceed max_n = {params.max_n}, not {p!r}")
    pin = params.input_parallelism
    if lanes and pin != p and pin & (pin - 1):
        errors.append(f"input_parallelism must be a power of two in RTL, not {pin!r}")
    if lanes and not narrow_input and pin != p:
        errors.append(f"input_parallelism must equal parallelism = {p} in this engine's RTL, not {pin!r}")
    if errors:
        raise ValueError("; ".join(errors))
    return params


class TopKComponent(wiring.Component):
    """Base of the top-k components: checks the params, then builds the ports every engine shares.

    Subclasses give their score and item stream signatures (and any further input ports) in
    :meth:`ports`; ``LANES = False`` for engines that take one score and emit one item per beat,
    ``NARROW_INPUT = False`` for those whose beats must be ``parallelism`` wide, ``RANKED = True``
    for those that emit their items largest first (earliest index among equals), not in index order.
    The bench and harness (``accelsim.rtl.topk.bench``, ``harness``) read these, and the ports, from
    the class: an engine's RTL is its one module.

    Members
    -------
    scores : In(stream) — the job's scores.
    n : In(index_width + 1) — job size, 1 to ``max_n``; sampled with the first beat.
    k : In(index_width + 1) — items to select.
    (further inputs from :meth:`ports`, in order)
    items : Out(stream) — the selected items.
    busy : Out(1) — a job is in progress (high from the cycle after its first beat).
    """

    LANES = True
    NARROW_INPUT = True
    RANKED = False
    ENGINE: str
    """The engine whose RTL this is (set by :func:`register_component`)."""

    def __init__(self, params: TopKParams) -> None:
        model = ENGINES[self.ENGINE].params_type
        if isinstance(params, TopKParams) and type(params) is not model:
            params = model(**params.as_dict())  # a base TopKParams: the engine's own fields at their defaults
        self._params = check_params(params, lanes=self.LANES, narrow_input=self.NARROW_INPUT)
        scores, items, extra = self.ports(self._params)
        iw = self._params.index_width
        super().__init__(
            {
                "scores": In(scores),
                "n": In(iw + 1),
                "k": In(iw + 1),
                **extra,
                "items": Out(items),
                "busy": Out(1),
            }
        )

    @classmethod
    def ports(cls, params: TopKParams) -> tuple[object, object, dict[str, wiring.Member]]:
        """(scores signature, items signature, further input members) of this engine; by default
        ``input_parallelism`` score lanes a beat in, items out, nothing further."""
        return stream.Signature(lane_layout(params)), stream.Signature(item_layout(params)), {}

    @property
    def params(self) -> TopKParams:
        return self._params


def lane_layout(params: TopKParams) -> data.ArrayLayout:
    """One input beat: ``input_parallelism`` unsigned scores of ``width`` bits."""
    return data.ArrayLayout(unsigned(params.width), params.input_parallelism)


def item_layout(params: TopKParams) -> data.StructLayout:
    """One output beat: up to ``input_parallelism`` (index, score) items, packed from lane 0."""
    p = params.input_parallelism
    return data.StructLayout(
        {
            "index": data.ArrayLayout(unsigned(params.index_width), p),
            "score": data.ArrayLayout(unsigned(params.width), p),
            "count": range(p + 1),
        }
    )


def pair_layout(params: TopKParams) -> data.StructLayout:
    """One item: its index and score."""
    return data.StructLayout({"index": unsigned(params.index_width), "score": unsigned(params.width)})
