"""Cell.from_graph: build a cell from a networkx DiGraph that declares it, through the cell's public methods.

Inputs, targets and params are declared first, then states (their initial
values may be params), then the nodes in the order their expressions need
them, then the states' updates and the loss: every expression is checked
exactly as when a cell is declared by hand.

Examples
--------
>>> import networkx as nx, sympy as sp
>>> from symbrnn import Cell, prev
>>> x, w, u, h = sp.symbols("x w u h")
>>> G = nx.DiGraph()
>>> G.add_node("x", kind="input")
>>> G.add_nodes_from(["w", "u"], kind="param")
>>> G.add_node("h", kind="state", init=0, expr=sp.tanh(w*x + u*prev("h")))
>>> G.add_node("L", kind="loss", expr=h**2)
>>> cell = Cell.from_graph(G, name="from_nx")
>>> cell.expr("h")
tanh(h_{t-1}*u + w*x_t)
"""

from __future__ import annotations

import networkx as nx
import sympy as sp

from ..core import errors
from ..core.kinds import COMPUTED, DISTRIBUTION, EXPR, INIT, INPUT, KIND, KINDS, LOSS, NODE, PARAM, SHAPE, STATE, TARGET
from ..core.symbols import split_step
from .components import leaf_symbol
from .tensor import Tensor, split_component
from .validate import check_loops

__all__ = ["cell_from_graph"]


def cell_from_graph(cls, graph: nx.DiGraph, name: str | None = None):
    """The cell of class ``cls`` that ``graph`` declares (see :meth:`symbrnn.Cell.from_graph`)."""
    if not isinstance(graph, nx.DiGraph):
        raise errors.ExpressionError(
            "Cell.from_graph needs a networkx.DiGraph whose nodes declare the quantities,"
            f" got {type(graph).__name__}"
        )
    cell = cls(name or graph.graph.get("name") or "cell")
    nodes = dict(graph.nodes(data=True))
    _check_kinds(nodes)
    for n, data in nodes.items():
        if data[KIND] == TARGET:
            cell.target(n, shape=data.get(SHAPE), distribution=data.get(DISTRIBUTION))
        elif data[KIND] in (INPUT, PARAM):
            getattr(cell, data[KIND])(n, shape=data.get(SHAPE))
    for n, data in nodes.items():  # states before expressions, so every name is known
        if data[KIND] == STATE:
            init = data.get(INIT, 0)
            if isinstance(init, sp.Symbol):
                _check_known(cell.name, nodes, init, f"initial value of state {n!r}")
                init = cell.symbol(init.name) if init.name in cell else init
            cell.state(n, init=init, shape=data.get(SHAPE))
    for n in _node_order(cell.name, nodes):
        _check_known(cell.name, nodes, nodes[n][EXPR], f"node {n!r}")
        cell.node(n, nodes[n][EXPR])
    for n, data in nodes.items():
        if data[KIND] == STATE and data.get(EXPR) is not None:
            _check_known(cell.name, nodes, data[EXPR], f"update of state {n!r}")
            cell.update(n, data[EXPR])
        elif data[KIND] == LOSS:
            _check_known(cell.name, nodes, data[EXPR], f"loss {n!r}")
            cell.loss(data[EXPR], name=n)
    _check_edges(cell, graph)
    return cell


def _check_kinds(nodes: dict) -> None:
    for n, data in nodes.items():
        kind = data.get(KIND)
        if kind not in KINDS:
            raise errors.ExpressionError(
                f"graph node {n!r} has kind {kind!r}; set its 'kind' attribute to one of {', '.join(KINDS)}"
            )
        if kind in COMPUTED and kind != STATE and data.get(EXPR) is None:
            raise errors.ExpressionError(f"graph node {n!r} ({kind}) has no 'expr' attribute")


def _owner(name: str) -> str:
    split = split_component(name)
    return split[0] if split else name


def _symbols(expr) -> set:
    """The symbols an expression reads, by name: a tensor's leaves as one symbol each (its components unbuilt)."""
    if isinstance(expr, Tensor):
        return {leaf_symbol(name, when, ()) for name, when in expr.leaves()} | expr.scalars()
    return expr.free_symbols if isinstance(expr, sp.Basic) else set()


def _check_known(cell_name: str, nodes: dict, expr, where: str) -> None:
    """Every symbol names a node of the graph (or a value at a step, which the cell explains)."""
    for s in sorted(_symbols(expr), key=sp.default_sort_key):
        stepped = split_step(s.name)
        if _owner(s.name) in nodes or (stepped and _owner(stepped[0]) in nodes):
            continue
        known = ", ".join(map(str, nodes)) or "none"
        raise errors.UnknownSymbolError(
            f"{where} uses {s.name!r}, which cell {cell_name!r} does not declare (known: {known});"
            f" add a node {s.name!r} with a 'kind' to the graph"
        )


def _node_order(cell_name: str, nodes: dict) -> list[str]:
    """The nodes in an order where each comes after the nodes its expression reads; a loop is refused."""
    g = nx.DiGraph()
    names = [n for n, data in nodes.items() if data[KIND] == NODE]
    g.add_nodes_from(names)
    for n in names:
        for s in _symbols(nodes[n][EXPR]):
            u = _owner(s.name)
            if u in g and u != n:
                g.add_edge(u, n)
    check_loops(cell_name, g)
    return list(nx.lexicographical_topological_sort(g, key=lambda n: names.index(n)))


def _check_edges(cell, graph: nx.DiGraph) -> None:
    if not graph.number_of_edges():
        return
    given = {(str(u), str(v)) for u, v in graph.edges}
    implied = set(cell.graph.edges)
    for u, v in sorted(given ^ implied):
        where = "has" if (u, v) in given else "lacks"
        raise errors.ExpressionError(
            f"graph {where} the edge {u!r} -> {v!r} but the expression of {v!r}"
            f" {'does not use' if where == 'has' else 'uses'} {u!r}; fix the edge or the expression"
        )
