"""Amaranth RTL of the top-k engines, built from the same :class:`~accelsim.topk.TopKParams`."""

from accelsim.rtl.topk.common import ENGINE_COMPONENTS, build_component
from accelsim.rtl.topk.quickselect import QuickSelectTopK
from accelsim.rtl.topk.sorter import SorterTopK
from accelsim.rtl.topk.statistical import StatisticalTopK
from accelsim.rtl.topk.streaming import StreamingTopK
from accelsim.rtl.topk.zero_eliminator import ZeroEliminator

__all__ = ["ENGINE_COMPONENTS", "QuickSelectTopK", "SorterTopK", "StatisticalTopK", "StreamingTopK",
           "ZeroEliminator", "build_component"]
