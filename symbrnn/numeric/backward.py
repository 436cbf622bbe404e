"""The backward table: dL/dv_t for every per-step quantity, as a hand-written BPTT computes it.

Where a derivation's deltas (:func:`symbrnn.derive`, reverse mode) are taken
for the states against the step function, the backward table goes through
the cell graph edge by edge, the way the backward pass of a worked example
does: every node, state, input and target v at every step gets

    δv_t = Σ_{u reads v_t at step t} δu_t · ∂u/∂v  +  Σ_{u reads v_t as v.prev at step t+1} δu_{t+1} · ∂u/∂v_prev,

with δL_t = 1, and each ∂u/∂v the local partial of one edge (differentiated
once, compiled once). An LSTM's δc_t is then the total dL/dc_t (through h_t
at the same step as well), its δz_t the gates' pre-activation deltas, its
δx_t the input deltas, and δh_0 the initial state's.

Examples
--------
>>> from symbrnn.cells import elman
>>> values = {"w": .5, "U": .5, "V": .5, "b": .2, "c": .1, "x": [1, .8, .6], "y": [.5, .6, .7]}
>>> table = backward_table(elman(), 3, values)
>>> [round(d, 6) for d in table["h"]]
[-0.023471, -0.073956, -0.103206, -0.126106]
>>> round(table["a"][1], 6), table["a"][0]
(-0.046943, None)
"""

from __future__ import annotations

import sympy as sp

from ..codegen.kernels import kernels_for
from ..core.kinds import INPUT, TARGET
from ..core.symbols import Now, Prev, check_steps
from ..declare.cell import Cell
from ..declare.lower import lowered, regroup
from ..declare.values import resolve_values

__all__ = ["backward_table"]


def _edges(cell: Cell) -> list[tuple[str, sp.Symbol]]:
    """(quantity, per-step symbol it reads) for every edge of the step, in a fixed order."""
    out = []
    for n in cell.order():
        for u in sorted(cell.expr(n).free_symbols, key=sp.default_sort_key):
            if isinstance(u, (Now, Prev)):
                out.append((n, u))
    return out


def backward_table(cell: Cell, T: int, values) -> dict[str, list]:
    """δv_t = dL/dv_t for every input, target, node, state and the loss at every step.

    Parameters
    ----------
    cell, T, values
        As for :func:`symbrnn.gradients`.

    Returns
    -------
    dict
        Name -> list indexed by step 0..T: index 0 holds the initial states'
        deltas (None for the other quantities). A shaped quantity's entries
        are arrays of its shape.
    """
    T = check_steps(T)
    cell.validate()
    low = lowered(cell)
    vals = resolve_values(low, T, values)
    kernels = kernels_for(low)
    trace = kernels.forward(vals)
    edges = _edges(low)
    local_partials = kernels.step_function("_local_partials", (low.expr(n).diff(u) for n, u in edges))
    names = low.names(INPUT) + low.names(TARGET) + low.order()
    table = {n: [None] * (T + 1) for n in names}
    later: dict[str, float] = {}  # contributions to step t's values from step t + 1's readers
    for t in range(T, 0, -1):
        local = local_partials(t, trace, vals)
        delta = {n: later.get(n, 0.0) for n in names}
        delta[low.loss_name] = 1.0
        later = {}
        for (n, u), d in reversed(list(zip(edges, local, strict=True))):
            if isinstance(u, Now):
                delta[u.name] += delta[n] * d
            else:
                later[u.name] = later.get(u.name, 0.0) + delta[n] * d
        for n in names:
            table[n][t] = delta[n]
    for s in kernels.states:
        table[s][0] = later.get(s, 0.0)
    return regroup(cell, table)
