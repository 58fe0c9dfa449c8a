"""Technology scaling of logic energy, leakage and area between process nodes.

Source: A. Stillmaker and B. Baas, "Scaling equations for the accurate prediction of CMOS device
performance from 180 nm to 7 nm", Integration 58 (2017) 74-81, doi:10.1016/j.vlsi.2017.02.002:
its area scaling factors (relative to 130 nm) and its fitted energy-vs-supply polynomials (energy
per switching event, a*V^2 + b*V + c), 130 to 7 nm, as tabulated in Accelergy's hwcomponents 1.0.
Between two nodes of the table values are interpolated log-linearly in feature size. Both nodes
are evaluated at one supply, ``VDD``; leakage power is scaled as dynamic energy, since the paper
fits no static model (the rule Accelergy's hwcomponents uses too).
"""

from __future__ import annotations

import numpy as np

NODES_NM = np.array([130.0, 90.0, 65.0, 45.0, 32.0, 20.0, 16.0, 14.0, 10.0, 7.0])
"""Nodes of Stillmaker & Baas's tables, largest first."""
AREA_REL = np.array([1, 0.44, 0.23, 0.16, 0.072, 0.033, 0.03, 0.027, 0.016, 0.0092])
"""Area at each node relative to 130 nm."""
ENERGY = np.array([  # energy per switch = a V^2 + b V + c, one row per node
    [7.171, -6.709, 2.904],
    [4.762, -4.781, 2.092],
    [3.755, -4.398, 1.975],
    [1.103, -0.362, 0.2767],
    [0.9559, -0.7823, 0.471],
    [0.373, -0.1582, 0.04104],
    [0.2958, -0.1241, 0.03024],
    [0.2363, -0.09675, 0.02239],
    [0.2068, -0.09311, 0.02375],
    [0.1776, -0.09097, 0.02447],
])
VDD = 0.9  # V: TSMC 40 nm general-purpose core supply (SpAtten Sec. V: TSMC 40 nm)
MIN_NM, MAX_NM = float(NODES_NM[-1]), float(NODES_NM[0])


def _check(node_nm: float) -> None:
    if not MIN_NM <= node_nm <= MAX_NM:
        raise ValueError(f"technology node must be within [{MIN_NM:g}, {MAX_NM:g}] nm, not {node_nm!r}")


def _at(node_nm: float, per_node: np.ndarray) -> float:
    """``per_node`` (one value per :data:`NODES_NM`) at ``node_nm``, log-linear between nodes."""
    _check(node_nm)
    return float(np.exp(np.interp(node_nm, NODES_NM[::-1], np.log(per_node[::-1]))))


PER_SWITCH = ENERGY @ np.array([VDD**2, VDD, 1.0])
"""Energy per switching event of each node at :data:`VDD` (arbitrary unit)."""


def area_factor(to_nm: float, from_nm: float) -> float:
    """Area at ``to_nm`` over area at ``from_nm``."""
    return _at(to_nm, AREA_REL) / _at(from_nm, AREA_REL)


def energy_factor(to_nm: float, from_nm: float) -> float:
    """Dynamic energy (and leakage power) at ``to_nm`` over that at ``from_nm``, both at :data:`VDD`."""
    return _at(to_nm, PER_SWITCH) / _at(from_nm, PER_SWITCH)
