"""The unrolled graph at the level of quantities, and which of its edges each chain-rule term runs along.

:func:`step_graph` unrolls a cell's own graph for T steps with one node per
quantity and step (``z_2``, a whole vector for a shaped cell: no components),
the params shared, the initial states at t = 0 and the total loss ``L``.
:func:`path_marks` says which edges a derivation's terms run along:

- ``explicit``: from θ to a state (the other states held fixed) or to a loss,
  inside one step, the explicit term ∂h_t/∂θ;
- ``implicit`` (forward mode): from the states a state reads (its previous
  value, or another state) to it, the step Jacobian ∂h_t/∂h_{t-1} that
  carries dh_{t-1}/dθ forward;
- ``delta`` (reverse mode): the same edges walked backwards, carrying
  δh_t back to δh_{t-1} = (∂h_t/∂h_{t-1})ᵀ·δh_t;
- ``chain``: from the states to the per-step loss, ∂L_t/∂h_t.

Examples
--------
>>> from symbrnn.cells import elman
>>> g = step_graph(elman(), 2)
>>> sorted(n for n, t in g.nodes(data="t") if t == 2)
['L_2', 'a_2', 'h_2', 'x_2', 'y_2', 'yhat_2']
>>> path_marks(g, "U", "forward")["h_1", "a_2"], path_marks(g, "U", "reverse")["h_1", "a_2"]
(('implicit',), ('delta',))
"""

from __future__ import annotations

import networkx as nx
import sympy as sp

from ..core.kinds import DELAY, LAGS, LOSS, NODE, PARAM, STATE
from ..core.symbols import step_name
from ..declare.cell import Cell
from ..declare.tensor import Tensor, split_component

__all__ = ["KINDS", "path_marks", "step_graph"]

#: the kinds of marked edge, in the order they are listed
KINDS = ("explicit", "implicit", "delta", "chain")


def _init_params(cell: Cell, s: str) -> list[str]:
    """The params a state's initial value is made of (``h0`` for a learned initial state)."""
    init, params = cell.init(s), set(cell.names(PARAM))
    if isinstance(init, Tensor):
        return [init.name] if init.name in params else []
    free = getattr(sp.sympify(init), "free_symbols", set())
    return sorted(str(x) for x in free if str(x) in params)


def step_graph(cell: Cell, T: int) -> nx.DiGraph:
    """The cell's graph unrolled for ``T`` steps, one node per quantity and step, as a networkx DiGraph.

    Node attributes: ``kind`` (param, input, target, initial, state, node, loss, total_loss), ``t`` (None
    for params and the total loss) and ``shape``. A shaped cell keeps its arrays whole: the graph has the
    same number of nodes at every hidden size.
    """
    origin = cell.origin if cell.origin is not None else cell
    g = nx.DiGraph()
    for p in origin.names(PARAM):
        g.add_node(p, kind=PARAM, t=None, shape=origin.shape(p))
    for s in origin.names(STATE):
        g.add_node(step_name(s, 0), kind="initial", t=0, shape=origin.shape(s))
        for p in _init_params(origin, s):
            g.add_edge(p, step_name(s, 0))
    order = [n for n in origin.names() if origin.kind(n) not in (PARAM,)]
    for t in range(1, T + 1):
        for n in order:
            g.add_node(step_name(n, t), kind=origin.kind(n), t=t, shape=origin.shape(n))
        for u, v, data in origin.graph.edges(data=True):
            lags = sorted(data.get(LAGS, ())) or ([1] if data.get(DELAY) else [0])
            for lag in lags:
                source = u if origin.kind(u) == PARAM else step_name(u, t - lag)
                g.add_edge(source, step_name(v, t))
        g.add_edge(step_name(origin.loss_name, t), origin.loss_name)
    g.add_node(origin.loss_name, kind="total_loss", t=None, shape=())
    return g


def _between(g: nx.DiGraph, sources: set, target: str, inside: set) -> set[tuple[str, str]]:
    """Edges on paths from ``sources`` to ``target`` whose inner nodes all lie in ``inside``."""
    sub = nx.DiGraph(g.subgraph(sources | inside | {target}))
    sub.remove_edges_from([(u, v) for u, v in list(sub.edges) if v in sources])  # no path through a source
    reach = set()
    for s in sources:
        if s in sub:
            reach |= nx.descendants(sub, s) | {s}
    keep = reach & (nx.ancestors(sub, target) | {target})
    return {(u, v) for u, v in sub.edges if u in keep and v in keep and u != target and v not in sources}


def _frontier(g: nx.DiGraph, target: str, nodes: set) -> set[str]:
    """The states and initial states ``target`` reads through the step's plain nodes only."""
    found, todo, seen = set(), [target], {target}
    while todo:
        for u in g.predecessors(todo.pop()):
            if u in seen:
                continue
            seen.add(u)
            if u in nodes:
                todo.append(u)
            elif g.nodes[u]["kind"] in (STATE, "initial"):
                found.add(u)
    return found


def path_marks(g: nx.DiGraph, wrt: str, mode: str = "forward") -> dict[tuple[str, str], tuple[str, ...]]:
    """Edge -> the kinds of path it is on (see the module docstring) for dL/d``wrt`` in ``mode``.

    ``wrt`` is a param or an initial state (``h_0``); a component (``W[0,1]``) marks its whole array's
    paths. An edge may be on several paths: a_t -> h_t carries both the explicit term of U and the
    implicit one. Unmarked edges are left out.
    """
    base = split_component(wrt)[0] if split_component(wrt) else wrt
    carried = "delta" if mode == "reverse" else "implicit"
    found: dict[tuple[str, str], set[str]] = {}

    def mark(edges, kind):
        for edge in edges:
            found.setdefault(edge, set()).add(kind)

    explicit = base in g and g.nodes[base]["kind"] == PARAM
    by_step: dict[int, set] = {}
    for n, t in g.nodes(data="t"):
        if t and g.nodes[n]["kind"] == NODE:
            by_step.setdefault(t, set()).add(n)
    for t in sorted({t for _, t in g.nodes(data="t") if t}):
        nodes = by_step.get(t, set())
        for target in sorted(n for n, s in g.nodes(data="t") if s == t and g.nodes[n]["kind"] in (STATE, LOSS)):
            kind = "chain" if g.nodes[target]["kind"] == LOSS else carried
            mark(_between(g, _frontier(g, target, nodes), target, nodes), kind)
            if explicit:
                mark(_between(g, {base}, target, nodes), "explicit")
    if explicit:  # a learned initial state: dh_0/dθ
        mark({(base, v) for v in g.successors(base) if g.nodes[v]["kind"] == "initial"}, "explicit")
    return {edge: tuple(k for k in KINDS if k in kinds) for edge, kinds in sorted(found.items())}
