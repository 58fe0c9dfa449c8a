"""The progressive-quantization decision unit: parameters, bit-exact numpy model and cycle model (shared
with its RTL, ``accelsim.rtl.units.requant``).

SpAtten Sec. III-D: a query's keys are first scored from their MSBs; when the largest probability of the
row is below a threshold the row is too flat to trust, and the LSBs are fetched to score it again. The
unit (SpAtten RTL RequantDecision.scala) takes the softmax's output beats, ``parallelism``
probabilities each (unsigned Q0.``width``, as :mod:`accelsim.hw.softmax` emits them; lanes past the row
end are 0 and never raise the max), reduces each beat to its max, keeps the row's running max and at the
row's last beat emits ``need_requant = max < threshold`` with the max itself. The threshold travels with
the row's beats (RequantDecision.Request.threshold) and is taken from its last one.

Timing: a beat a cycle; the decision sits in an output register from the cycle after the last beat, and
a row's last beat waits while the previous decision has not been taken. Without stalls a job of rows of
``B_0, B_1, ...`` beats takes ``sum(B) + 1`` cycles from its first beat to its last decision.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator


class RequantParams(BaseModel):
    """Parameters of the requant decision unit, shared by its models and its RTL; keyword arguments
    only, frozen, equal when every field is equal.

    Raises
    ------
    pydantic.ValidationError
        Every field out of range, and a parallelism that is not a power of two.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    parallelism: int = Field(8, ge=1, le=64)
    """Probabilities per beat (SpAtten RTL SpAttenConfig: numSoftMaxUnit = 8); a power of two."""
    width: int = Field(12, ge=2, le=16)
    """Fraction bits of a probability and of the threshold (SpAtten RTL: 12-bit genFix; the softmax's
    ``out_bits``)."""

    @model_validator(mode="after")
    def _check(self) -> RequantParams:
        if self.parallelism & (self.parallelism - 1):
            raise ValueError(f"parallelism must be a power of two, not {self.parallelism}")
        return self

    def as_dict(self) -> dict[str, int]:
        """Every field by name (the key of the RTL cost tables)."""
        return self.model_dump()


def threshold_code(threshold: float, params: RequantParams) -> int:
    """The unit's threshold for a probability threshold: ``ceil(threshold * 2**width)``, so that a code
    ``c`` is below it exactly when ``c / 2**width < threshold``."""
    return min(max(math.ceil(threshold * (1 << params.width)), 0), (1 << params.width))


def decide(probs: np.ndarray, threshold: np.ndarray | int) -> tuple[np.ndarray, np.ndarray]:
    """(need_requant, max) of rows ``probs`` [rows, n] of probability codes (0 past each row's end)."""
    top = np.asarray(probs, dtype=np.int64).max(axis=1)
    return top < np.asarray(threshold, dtype=np.int64), top


def job_cycles(beats: Sequence[int]) -> int:
    """Cycles of rows of ``beats[0], beats[1], ...`` beats played back to back without stalls, from the
    first beat accepted to the last decision taken (inclusive)."""
    return int(sum(beats)) + 1 if len(beats) else 0
