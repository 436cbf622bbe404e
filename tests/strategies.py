"""Hypothesis strategies: random small scalar cells and values for them."""

from __future__ import annotations

import sympy as sp
from hypothesis import strategies as st

from symbrnn import Cell, sigmoid

PARAMS = ("p0", "p1", "p2", "p3")
UNARY = (sp.tanh, sigmoid)


def _expr(draw, leaves, depth):
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(leaves))
    op = draw(st.sampled_from(["add", "mul", "unary"]))
    if op == "unary":
        return draw(st.sampled_from(UNARY))(_expr(draw, leaves, depth - 1))
    a, b = _expr(draw, leaves, depth - 1), _expr(draw, leaves, depth - 1)
    return a + b if op == "add" else a * b


@st.composite
def cells(draw):
    """A random valid scalar cell: 1-2 states, maybe a node, a loss on the last state.

    A later state may read an earlier state's current value (stacked), every
    state reads its own previous value, and the initial state may be a param.
    """
    cell = Cell("random")
    x = cell.input("x")
    y = cell.target("y")
    params = list(cell.params(PARAMS))
    n_states = draw(st.integers(1, 2))
    states = []
    for i in range(n_states):
        init = draw(st.sampled_from([0, 0.25, params[3]]))
        states.append(cell.state(f"s{i}", init=init))
    # p3 may be both an initial state and a param used in expressions
    leaves = [x, *params[: 4 if draw(st.booleans()) else 3], *(s.prev for s in states)]
    node = None
    if draw(st.booleans()):
        node = cell.node("m", _expr(draw, leaves, 2))
        leaves.append(node)
    for i, s in enumerate(states):
        own = leaves + states[:i]
        body = _expr(draw, own, 3)
        # keep the state recurrent and bounded
        cell.update(s, sp.tanh(body + params[i % 3] * s.prev))
    last = states[-1]
    extra = draw(st.sampled_from([0, params[0] * states[0] ** 2, params[1] * last.prev]))
    if draw(st.booleans()):  # a node reading current states, read by the loss
        reader = cell.node("r", _expr(draw, [x, params[2], *states], 2))
        extra = extra + params[1] * reader
    cell.loss((last - y) ** 2 / 2 + extra)
    return cell


def values_for(cell: Cell, T: int, draw) -> dict:
    num = st.floats(-1.5, 1.5, allow_nan=False).map(lambda v: round(v, 3))
    vals = {p: draw(num) for p in cell.names("param")}
    vals["x"] = [draw(num) for _ in range(T)]
    vals["y"] = [draw(num) for _ in range(T)]
    return vals
