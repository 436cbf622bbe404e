"""A cell as a document: its quantities, its equations and a summary of its graph.

Shaped quantities are written in matrix notation with their shapes
(``z_t (4,) = W·x_t + U·h_{t-1} + b``), never as lists of components.

Examples
--------
>>> from symbrnn.render.doc import to_text
>>> from symbrnn.cells import elman
>>> print(to_text(cell_doc(elman()), width=70))
──────────────────────────── cell 'elman' ────────────────────────────
Quantities
  inputs: x
  targets: y
  params: w, U, V, b, c
  states: h (h_0 = 0)
Equations (one step t)
     a_t = U·h_{t-1} + b + w·x_t
     h_t = tanh(a_t)
  yhat_t = V·h_t + c
     L_t = (yhat_t - y_t)²/2
       L = Σ_{t=1..T} L_t
Graph
  11 quantities, 11 edges; delay edges (previous step): h_{t-1} → a_t
"""

from __future__ import annotations

import sympy as sp

from ..core.kinds import DELAY, INPUT, LAGS, PARAM, STATE, TARGET
from ..core.symbols import now, prev
from ..declare.cell import Cell
from ..declare.matrixops import named
from ..declare.tensor import Tensor, shape_text
from ..declare.tensortext import text as tensor_text
from .arrays import tensor_m
from .doc import Doc, Equations, M, Paragraph, Row, Section

__all__ = ["cell_doc", "cell_equations", "cell_quantities"]


def _named(cell: Cell, name: str) -> str:
    shape = cell.shape(name)
    return f"{name} {shape_text(shape)}" if shape else name


def _initial(cell: Cell, s: str) -> str:
    init = cell.init(s)
    if isinstance(init, Tensor):  # a param (h0), or an array of numbers
        return init.name or tensor_text(init)
    return str(init)


def cell_quantities(cell: Cell) -> Paragraph:
    """The cell's inputs, targets, params and states (with their shapes and initial values), a line each."""
    lines = []
    for kind, label in ((INPUT, "inputs"), (TARGET, "targets"), (PARAM, "params")):
        if cell.names(kind):
            lines.append(f"{label}: {', '.join(_named(cell, n) for n in cell.names(kind))}")
    states = [f"{_named(cell, s)} ({s}_0 = {_initial(cell, s)})" for s in cell.names(STATE)]
    if states:
        lines.append("states: " + ", ".join(states))
    return Paragraph.of("\n".join(lines))


def _equation(cell: Cell, n: str) -> Row:
    e = cell.expr(n)
    if not isinstance(e, Tensor):
        return Row((M.of(now(n)), M.of(e)))
    lhs = tensor_m(named(n, e.shape, "now"))
    if e.shape:  # the shape beside the name, as the matrix derivation writes it
        lhs = M(f"{lhs.text} {shape_text(e.shape)}", lhs.latex)
    return Row((lhs, tensor_m(e)))


def cell_equations(cell: Cell) -> Equations:
    """The cell's equations at a generic step t (arrays in matrix notation, with shapes), and the total loss."""
    rows = [_equation(cell, n) for n in cell.order()]
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


def _edges(cell: Cell) -> Paragraph:
    """Every edge, as the value it carries: ``W → z_t``, ``h_{t-1} → z_t`` (a delay edge)."""
    lines = []
    for u, v, data in sorted(cell.graph.edges(data=True)):
        lags = sorted(data.get(LAGS, ())) or ([1] if data.get(DELAY) else [0])
        for lag in lags:
            source = u if cell.kind(u) == PARAM else str(prev(u) if lag else now(u))
            lines.append(f"{source} → {now(v)}" + ("   (previous step)" if lag else ""))
    return Paragraph.of("\n".join(lines))


def cell_doc(cell: Cell, *, edges: bool = False) -> Doc:
    """The cell's quantities, its equations at a generic step t, and its graph, as a :class:`Doc`.

    With ``edges``, every edge of the graph is listed, with the step it reads (``symbrnn show`` does).
    """
    cell.validate()
    g = cell.graph
    count = Paragraph.of(f"{g.number_of_nodes()} quantities, {g.number_of_edges()} edges:")
    graph = (count, _edges(cell)) if edges else (_graph(cell),)
    return Doc(f"cell {cell.name!r}", (
        Section("Quantities", (cell_quantities(cell),)),
        Section("Equations (one step t)", (cell_equations(cell),)),
        Section("Graph", graph),
    ))
