"""Amaranth RTL of the top-k engines, built from their models' params (``TopKEngine.params_type``).

An engine's component is found through its model: ``TopKEngine.rtl`` names the module holding it, which
registers it with ``@register_component`` (:data:`ENGINE_COMPONENTS` imports those modules on its first
lookup), so an engine with RTL is two files and no list to edit.
"""

from accelsim.rtl.topk.common import ENGINE_COMPONENTS, build_component

__all__ = ["ENGINE_COMPONENTS", "build_component"]
