"""Trace capture from local PyTorch / Hugging Face models (the optional ``torch`` extra).

``capture`` records attention inputs through a transformers attention implementation;
``loading`` finds and loads models offline (GGUF weights via a cached fp32 copy); ``text`` gives
prompt text with provenance. Only ``capture`` and ``loading`` import torch, and only this package
does, so the rest of accelsim works without it.
"""
