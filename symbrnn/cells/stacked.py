"""Stack recurrent cells into one cell: layer k reads layer k-1's hidden state, a linear readout on top."""

from __future__ import annotations

import networkx as nx
import sympy as sp

from ..core import errors
from ..core.kinds import INPUT, LOSS, NODE, PARAM, STATE, TARGET
from ..declare.cell import Cell
from ..declare.tensor import Tensor, shape_text

__all__ = ["stacked"]


def stacked(*layers: Cell, output_size: int = 1, name: str = "stacked") -> Cell:
    r"""One cell from several recurrent layers and a linear readout, trained with half squared error.

    Each layer is a cell with an input ``x`` and a state ``h`` (such as
    :func:`elman`, :func:`lstm`, :func:`gru`); layer k's input is layer
    k−1's h_t at the same step. A layer's quantities are renamed with the
    prefix ``l{k}_`` (``l1_W_ih``, ``l2_h``); its own targets, loss and the
    nodes only they use are dropped. On top:

    .. math::

        \hat y_t = V h^{(K)}_t + c, \quad L_t = \tfrac12 \lVert \hat y_t - y_t \rVert^2,

    with V (output × hidden of the last layer) and c (output).

    Parameters
    ----------
    *layers : Cell
        The layers, bottom first. None given: two vector Elman layers
        (input 1, hidden 2, then hidden 2).
    output_size : int
    name : str

    Raises
    ------
    ShapeError
        A layer's input does not have the shape of the layer below's h.
    ExpressionError
        A layer has no input ``x`` or no state ``h``, or its states read a target.

    Examples
    --------
    >>> from symbrnn.cells import gru, lstm
    >>> cell = stacked(lstm(3, 4), gru(4, 2), output_size=1)
    >>> cell.names("state"), cell.shape("V")
    (('l1_h', 'l1_c', 'l2_h'), (1, 2))
    >>> cell.expr("l2_gi")[0].free_symbols >= {cell.symbol("l1_h")[0]}
    True
    """
    if not layers:
        from .elman import elman

        layers = (elman(1, 2, 1), elman(2, 2, 1))
    cell = Cell(name)
    feed = cell.input("x", shape=_shape_of(layers[0], "x") or None)
    y = cell.target("y", shape=output_size)
    for k, layer in enumerate(layers, 1):
        if _shape_of(layer, "x") != _shape(feed):
            below = f"layer {k - 1}'s h" if k > 1 else "the input"
            raise errors.ShapeError(
                f"stacked: layer {k} ({layer.name!r}) reads x of shape {shape_text(_shape_of(layer, 'x'))} but"
                f" {below} has shape {shape_text(_shape(feed))}"
            )
        feed = _copy_layer(cell, layer, f"l{k}_", feed)
    if not isinstance(feed, Tensor):
        feed = Tensor([feed])
    V, c = cell.param("V", shape=(output_size, feed.shape[0])), cell.param("c", shape=output_size)
    yhat = cell.node("yhat", V @ feed + c)
    cell.loss(((yhat - y) * (yhat - y)).sum() / 2)
    return cell


def _shape(value) -> tuple:
    return value.shape if isinstance(value, Tensor) else ()


def _shape_of(layer: Cell, name: str) -> tuple:
    kind = INPUT if name == "x" else STATE
    if name not in layer.names(kind):
        raise errors.ExpressionError(
            f"stacked: layer {layer.name!r} has no {kind} {name!r}; each layer needs an input x and a state h"
        )
    return layer.shape(name)


class _Renaming:
    """A layer's quantities in the stacked cell: named arrays by (name, when), scalar symbols by symbol."""

    def __init__(self):
        self.leaves: dict[tuple, object] = {}
        self.symbols: dict[sp.Symbol, sp.Expr] = {}

    def add(self, old, new) -> None:
        if isinstance(old, Tensor):
            self.leaves[old.extra] = new
            if old.extra[1] == "now" and isinstance(new, Tensor) and new.op == "leaf":
                self.leaves[(old.extra[0], "prev")] = new.prev
        else:
            self.symbols[old] = new
            if hasattr(old, "prev") and hasattr(new, "prev"):
                self.symbols[old.prev] = new.prev

    def __call__(self, expr):
        if isinstance(expr, Tensor):
            return expr.rebuild(leaf=lambda t: self.leaves.get(t.extra),
                                scalar=lambda e: e.xreplace(self.symbols) if self.symbols else None)
        return expr.xreplace(self.symbols)


def _copy_layer(cell: Cell, layer: Cell, prefix: str, feed):
    _shape_of(layer, "h")
    G = layer.graph
    keep = set(layer.names(STATE))
    for s in layer.names(STATE):
        keep |= nx.ancestors(G, s)
        init = layer.init(s)
        if getattr(init, "name", None) in layer.names(PARAM):
            keep.add(init.name)
    for n in sorted(keep):
        if layer.kind(n) in (TARGET, LOSS):
            raise errors.ExpressionError(f"stacked: the states of layer {layer.name!r} read the {layer.kind(n)} {n!r}")
    rename = _Renaming()
    rename.add(layer.symbol("x"), feed)
    for n in layer.names(PARAM):
        if n in keep:
            rename.add(layer.symbol(n), cell.param(prefix + n, shape=layer.shape(n) or None))
    for s in layer.names(STATE):
        init = layer.init(s)
        if getattr(init, "name", None) in layer.names(PARAM):
            init = cell.symbol(prefix + init.name)
        rename.add(layer.symbol(s), cell.state(prefix + s, init=init, shape=layer.shape(s) or None))
    for n in layer.order():
        if n not in keep:
            continue
        expr = rename(layer.expr(n))
        if layer.kind(n) == NODE:
            rename.add(layer.symbol(n), cell.node(prefix + n, expr))
        else:
            cell.update(prefix + n, expr)
    return cell.symbol(prefix + "h")
