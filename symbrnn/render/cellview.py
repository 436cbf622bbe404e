"""A cell as a document: its quantities, its equations and a summary of its graph.

Examples
--------
>>> from symbrnn.render.doc import to_text
>>> from symbrnn.cells import elman
>>> print(to_text(cell_doc(elman()), width=70))
──────────────────────────── cell 'elman' ────────────────────────────
Quantities
  inputs: x; targets: y; params: w, U, V, b, c; states: h (h_0 = 0)
Equations (one step t)
     a_t = U·h_{t-1} + b + w·x_t
     h_t = tanh(a_t)
  yhat_t = V·h_t + c
     L_t = (-y_t + yhat_t)²/2
       L = Σ_{t=1..T} L_t
Graph
  11 quantities, 11 edges; delay edges (previous step): h_{t-1} → a_t
"""

from __future__ import annotations

import sympy as sp

from ..core.kinds import DELAY, INPUT, LAGS, PARAM, STATE, TARGET
from ..core.symbols import now, prev
from ..declare.cell import Cell
from .doc import Doc, Equations, M, Paragraph, Row, Section

__all__ = ["cell_doc", "cell_equations", "cell_quantities"]


def cell_quantities(cell: Cell) -> Paragraph:
    """The cell's inputs, targets, params and states (with their initial values) in one line."""
    parts = []
    for kind, label in ((INPUT, "inputs"), (TARGET, "targets"), (PARAM, "params")):
        if cell.names(kind):
            parts.append(f"{label}: {', '.join(cell.names(kind))}")
    states = [f"{s} ({s}_0 = {cell.init(s)})" for s in cell.names(STATE)]
    if states:
        parts.append("states: " + ", ".join(states))
    return Paragraph.of("; ".join(parts))


def cell_equations(cell: Cell) -> Equations:
    """The cell's equations at a generic step t, and the total loss."""
    rows = [Row((M.of(now(n)), M.of(cell.expr(n)))) for n in cell.order()]
    t, T = sp.Symbol("t", integer=True, positive=True), sp.Symbol("T", integer=True, positive=True)
    loss = cell.loss_name
    rows.append(Row((M.of(sp.Symbol(loss)), M.of(sp.Sum(now(loss), (t, 1, T))))))
    return Equations(tuple(rows))


def _graph(cell: Cell) -> Paragraph:
    g = cell.graph
    delays = []
    for u, v, data in sorted(g.edges(data=True)):
        if data.get(DELAY) or 1 in data.get(LAGS, ()):
            delays.append(f"{prev(u)} → {now(v)}")
    text = f"{g.number_of_nodes()} quantities, {g.number_of_edges()} edges"
    if delays:
        text += "; delay edges (previous step): " + ", ".join(delays)
    return Paragraph.of(text)


def cell_doc(cell: Cell) -> Doc:
    """The cell's quantities, its equations at a generic step t, and its graph, as a :class:`Doc`."""
    cell.validate()
    return Doc(f"cell {cell.name!r}", (
        Section("Quantities", (cell_quantities(cell),)),
        Section("Equations (one step t)", (cell_equations(cell),)),
        Section("Graph", (_graph(cell),)),
    ))
