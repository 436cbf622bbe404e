"""Lower a cell with vector and matrix quantities to the scalar cell of its components.

The engine works componentwise: a state ``h`` of shape (3,) becomes the
scalar states ``h[0]``, ``h[1]``, ``h[2]``, a param ``W`` of shape (3, 2)
the params ``W[0,0]`` ... ``W[2,1]``, each with its component's expression.
The lowered cell is an ordinary :class:`~symbrnn.Cell` that every part of
the engine (partials, derive, compile, numeric) takes unchanged; it is
internal, cached per cell version, and remembers the cell it came from
(:attr:`Cell.origin`) so values given in the cell's shapes can be split into
components and gradients reassembled into arrays.

Examples
--------
>>> from symbrnn import Cell, tanh
>>> cell = Cell("vec")
>>> x = cell.input("x", shape=2)
>>> W = cell.param("W", shape=(2, 2))
>>> h = cell.state("h", shape=2)
>>> cell.update(h, tanh(W @ x + h.prev))
>>> _ = cell.loss(h.sum())
>>> low = lowered(cell)
>>> low.names("param"), low.names("state")
(('W[0,0]', 'W[0,1]', 'W[1,0]', 'W[1,1]'), ('h[0]', 'h[1]'))
>>> low.expr("h[1]")
tanh(W[1,0]*x[0]_t + W[1,1]*x[1]_t + h[1]_{t-1})
>>> lowered(low) is low and low.origin is cell
True
"""

from __future__ import annotations

import weakref

import numpy as np
import sympy as sp

from .cell import EXPR, INIT, KIND, PARAM, SHAPE, STATE, SYMBOL, Cell
from .tensor import Tensor, component_name

__all__ = ["assemble", "components", "expand_wrt", "lowered", "regroup"]

_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def components(cell: Cell, name: str) -> list[str]:
    """The scalar names quantity ``name`` lowers to (row-major), ``[name]`` for a scalar."""
    shape = cell.shape(name)
    if not shape:
        return [name]
    return [component_name(name, index) for index in np.ndindex(shape)]


def lowered(cell: Cell) -> Cell:
    """The scalar cell of ``cell``'s components; ``cell`` itself if it has no shaped quantity."""
    if not cell.shaped:
        return cell
    cached = _CACHE.get(cell)
    if cached is not None and cached[0] == cell.version:
        return cached[1]
    cell.validate()
    low = _lower(cell)
    _CACHE[cell] = (cell.version, low)
    return low


def _lower(cell: Cell) -> Cell:
    low = Cell(cell.name)
    low.origin = cell
    graph = low._graph
    for name, data in cell._graph.nodes(data=True):
        for index, comp, sym in _parts(name, data):
            attrs = {KIND: data[KIND], SYMBOL: sym, SHAPE: ()}
            if data[KIND] == STATE:
                attrs[INIT] = _pick(data[INIT], index)
            graph.add_node(comp, **attrs)
    for name in cell._step_order():
        expr = cell._graph.nodes[name][EXPR]
        for index, comp, _ in _parts(name, cell._graph.nodes[name]):
            low._set_expr(comp, _pick(expr, index))
    return low


def _parts(name: str, data: dict):
    sym = data[SYMBOL]
    if not data[SHAPE]:
        return [((), name, sym)]
    return [(index, component_name(name, index), s) for index, s in sym.items()]


def _pick(value, index: tuple) -> sp.Expr:
    return value[index] if isinstance(value, Tensor) else value


def expand_wrt(cell: Cell, wrt) -> list[tuple[str, tuple, list[str]]]:
    """For each requested name: (name, shape, the component names the engine derives against).

    A shaped param ``W`` expands to ``W[0,0]``, ...; a shaped initial state
    ``h_0`` to ``h[0]_0``, ...; anything else (a scalar, a component such as
    ``W[1,0]``, an unknown name the engine will reject) stays as it is.
    """
    plan = []
    for w in wrt:
        base, _, t = w.rpartition("_")
        if w in cell.names(PARAM) and cell.shape(w):
            plan.append((w, cell.shape(w), components(cell, w)))
        elif t == "0" and base in cell.names(STATE) and cell.shape(base):
            plan.append((w, cell.shape(base), [f"{c}_0" for c in components(cell, base)]))
        else:
            plan.append((w, (), [w]))
    return plan


def assemble(plan, grads: dict) -> dict:
    """The component gradients ``grads`` regrouped by :func:`expand_wrt`'s plan: arrays for shaped names."""
    out = {}
    for name, shape, comps in plan:
        if shape:
            out[name] = np.array([grads[c] for c in comps], dtype=float).reshape(shape)
        else:
            out[name] = grads[comps[0]]
    return out


def regroup(cell: Cell, trace: dict[str, list]) -> dict[str, list]:
    """A forward trace of the lowered cell (component -> list by step) in ``cell``'s shapes."""
    if not cell.shaped:
        return trace
    out = {}
    for name in cell.names():
        if name not in trace and not cell.shape(name):
            continue
        shape = cell.shape(name)
        if not shape:
            out[name] = trace[name]
            continue
        columns = [trace.get(c) for c in components(cell, name)]
        if columns[0] is None:
            continue
        out[name] = [
            None if columns[0][t] is None else np.array([c[t] for c in columns], dtype=float).reshape(shape)
            for t in range(len(columns[0]))
        ]
    return out
