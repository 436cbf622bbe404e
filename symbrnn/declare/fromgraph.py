"""Cell.from_graph: build a cell from a networkx DiGraph that declares it."""

from __future__ import annotations

import networkx as nx
import sympy as sp

from ..core import errors
from ..core.kinds import COMPUTED, EXPR, INIT, INPUT, KIND, KINDS, LOSS, NODE, PARAM, SHAPE, STATE, TARGET
from .expressions import as_shape
from .tensor import Tensor

__all__ = ["cell_from_graph"]


def cell_from_graph(cls, graph: nx.DiGraph, name: str | None = None):
    """The cell of class ``cls`` that ``graph`` declares (see :meth:`symbrnn.Cell.from_graph`)."""
    if not isinstance(graph, nx.DiGraph):
        raise errors.ExpressionError(
            "Cell.from_graph needs a networkx.DiGraph whose nodes declare the quantities,"
            f" got {type(graph).__name__}"
        )
    cell = cls(name or graph.graph.get("name") or "cell")
    cell._from_graph = True
    nodes = list(graph.nodes(data=True))
    for n, data in nodes:
        kind = data.get(KIND)
        if kind not in KINDS:
            raise errors.ExpressionError(
                f"graph node {n!r} has kind {kind!r}; set its 'kind' attribute to one of {', '.join(KINDS)}"
            )
        if kind in (INPUT, TARGET, PARAM):
            cell._declare(n, kind, as_shape(data.get(SHAPE), n))
    for n, data in nodes:  # states before expressions, so every name is known
        if data[KIND] == STATE:
            init = data.get(INIT, 0)
            if isinstance(init, sp.Symbol):
                init = cell._normalise(init, f"initial value of state {n!r}")
            cell.state(n, init=init, shape=data.get(SHAPE))
    for n, data in nodes:
        kind = data[KIND]
        if kind in COMPUTED and data.get(EXPR) is None and kind != STATE:
            raise errors.ExpressionError(f"graph node {n!r} ({kind}) has no 'expr' attribute")
        if kind == NODE:
            cell._check_new_name(n)
            expr = data[EXPR]
            cell._declare(n, NODE, expr.shape if isinstance(expr, Tensor) else ())
    for n, data in nodes:
        kind = data[KIND]
        if kind == NODE:
            cell._set_expr(n, cell._normalise(data[EXPR], f"node {n!r}"))
        elif kind == STATE and data.get(EXPR) is not None:
            cell.update(n, data[EXPR])
        elif kind == LOSS:
            cell.loss(data[EXPR], name=n)
    if graph.number_of_edges():
        given = {(str(u), str(v)) for u, v in graph.edges}
        implied = set(cell._graph.edges)
        for u, v in sorted(given ^ implied):
            where = "has" if (u, v) in given else "lacks"
            raise errors.ExpressionError(
                f"graph {where} the edge {u!r} -> {v!r} but the expression of {v!r}"
                f" {'does not use' if where == 'has' else 'uses'} {u!r}; fix the edge or the expression"
            )
    return cell
