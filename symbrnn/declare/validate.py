"""Whether a cell can be computed: each state has an update, there is a loss, no same-step loop.

The checks work on the cell's graph (:attr:`symbrnn.Cell.graph`'s form): an
edge u → v with ``lags`` containing 0 means v reads u at the same step; a
cycle of such edges cannot be computed (an *algebraic loop*). The same
graph gives the step order, one topological order made deterministic by
sorting names.

Examples
--------
>>> import networkx as nx
>>> g = nx.DiGraph()
>>> g.add_edge("a", "b", lags=(0,))
>>> g.add_edge("b", "a", lags=(1,))   # b's previous value: a delay, not a loop
>>> check_loops("demo", instant_graph(g))
>>> g.add_edge("b", "a", lags=(0, 1))
>>> check_loops("demo", instant_graph(g))
Traceback (most recent call last):
...
symbrnn.AlgebraicLoopError: algebraic loop in cell 'demo': a -> b -> a at the same step; break it by using a state's \
previous value (h.prev) somewhere on the loop
"""

from __future__ import annotations

import networkx as nx

from ..core import errors
from ..core.kinds import EXPR, KIND, LAGS, LOSS, STATE

__all__ = ["check_complete", "check_loops", "instant_graph", "reaches_any", "step_order"]


def instant_graph(graph: nx.DiGraph) -> nx.DiGraph:
    """The same-step dependencies of a cell's graph only (delay edges dropped)."""
    g = nx.DiGraph()
    g.add_nodes_from(graph.nodes)
    g.add_edges_from((u, v) for u, v, lag in graph.edges(data=LAGS) if 0 in lag)
    return g


def reaches_any(graph: nx.DiGraph, start: str, targets: set) -> bool:
    """True if ``start`` is in ``targets`` or reaches one of them along same-step edges of ``graph``."""
    seen, todo = {start}, [start]
    while todo:
        u = todo.pop()
        if u in targets:
            return True
        for v, lag in graph.succ[u].items():
            if 0 in lag[LAGS] and v not in seen:
                seen.add(v)
                todo.append(v)
    return False


def check_loops(cell_name: str, g: nx.DiGraph) -> None:
    """Raise :class:`~symbrnn.AlgebraicLoopError` naming a loop of same-step dependencies, if ``g`` has one."""
    if nx.is_directed_acyclic_graph(g):
        return
    cycle = [u for u, _ in nx.find_cycle(g)]
    start = cycle.index(min(cycle))
    cycle = cycle[start:] + cycle[:start]
    path = " -> ".join(cycle + [cycle[0]])
    raise errors.AlgebraicLoopError(
        f"algebraic loop in cell {cell_name!r}: {path} at the same step;"
        " break it by using a state's previous value (h.prev) somewhere on the loop"
    )


def check_complete(cell_name: str, graph: nx.DiGraph) -> None:
    """Raise if a state has no update (:class:`~symbrnn.MissingUpdateError`) or there is no loss."""
    for name, kind in graph.nodes(data=KIND):
        if kind == STATE and graph.nodes[name].get(EXPR) is None:
            raise errors.MissingUpdateError(
                f"state {name!r} of cell {cell_name!r} has no update;"
                f" add cell.update({name}, <expression for {name}_t>)"
            )
    if not any(kind == LOSS for _, kind in graph.nodes(data=KIND)):
        raise errors.MissingLossError(
            f"cell {cell_name!r} has no loss; declare the per-step loss with cell.loss(<expression>)"
        )


def step_order(graph: nx.DiGraph, kinds) -> tuple[str, ...]:
    """The quantities of the given kinds in the order one step computes them (deterministic)."""
    order = nx.lexicographical_topological_sort(instant_graph(graph), key=lambda n: n)
    return tuple(n for n in order if graph.nodes[n][KIND] in kinds)
