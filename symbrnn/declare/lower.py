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

import math
import weakref

import numpy as np
import sympy as sp

from ..core import errors
from ..core.kinds import INIT, KIND, PARAM, SHAPE, STATE, SYMBOL
from ..core.symbols import initial_name
from .cell import Cell
from .tensor import Tensor, component_name

__all__ = ["COMPONENTWISE_LIMIT", "ComponentCell", "assemble", "component_count", "components", "expand_wrt",
           "lowered", "regroup"]

_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def components(cell: Cell, name: str) -> list[str]:
    """The scalar names quantity ``name`` lowers to (row-major), ``[name]`` for a scalar."""
    shape = cell.shape(name)
    if not shape:
        return [name]
    return [component_name(name, index) for index in np.ndindex(shape)]


#: componentwise work (a cell of scalar components) is refused for a cell with more components than this
COMPONENTWISE_LIMIT = 50_000


def component_count(cell: Cell) -> int:
    """How many scalar components the quantities of ``cell`` have in all."""
    return sum(math.prod(cell.shape(n)) for n in cell.names())


def lowered(cell: Cell) -> Cell:
    """The scalar cell of ``cell``'s components; ``cell`` itself if it has no shaped quantity.

    Raises
    ------
    ShapeError
        If the cell has more than :data:`COMPONENTWISE_LIMIT` components: its work is done at the
        matrix level (array programs, matrix derivations), never component by component.
    """
    if not cell.shaped:
        return cell
    cached = _CACHE.get(cell)
    if cached is not None and cached[0] == cell.version:
        return cached[1]
    cell.validate()
    count = component_count(cell)
    if count > COMPONENTWISE_LIMIT:
        raise errors.ShapeError(
            f"cell {cell.name!r} has {count:,} components; componentwise work (strategy 'bptt', 'straight' or"
            f" 'terms', backend 'c', a component such as wrt='W[1,0]') is limited to {COMPONENTWISE_LIMIT:,}:"
            " use the matrix route (gradients() with strategy='auto' or 'arrays', derive(..., wrt='W',"
            " mode='reverse'))"
        )
    low = ComponentCell(cell)
    _CACHE[cell] = (cell.version, low)
    return low


class ComponentCell(Cell):
    """The scalar cell of a shaped cell's components: ``h[0]``, ``W[1,0]``, each with its component's expression.

    Its quantities' names are component names, which the declaring methods
    refuse, so it is filled here from the shaped cell's public description;
    :attr:`origin` is that cell.
    """

    def __init__(self, cell: Cell):
        super().__init__(cell.name)
        self.origin = cell
        for name in cell.names():
            kind = cell.kind(name)
            for index, comp, sym in _parts(cell, name):
                attrs = {KIND: kind, SYMBOL: sym, SHAPE: ()}
                if kind == STATE:
                    attrs[INIT] = _pick(cell.init(name), index)
                self._graph.add_node(comp, **attrs)
        self.version += 1
        for name in cell.order():
            expr = cell.expr(name)
            for index, comp, _ in _parts(cell, name):
                self._set_expr(comp, _pick(expr, index))


def _parts(cell: Cell, name: str):
    sym = cell.symbol(name)
    if not cell.shape(name):
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
        state = cell.initial_of(w)
        if w in cell.names(PARAM) and cell.shape(w):
            plan.append((w, cell.shape(w), components(cell, w)))
        elif state is not None and cell.shape(state):
            plan.append((w, cell.shape(state), [initial_name(c) for c in components(cell, state)]))
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
