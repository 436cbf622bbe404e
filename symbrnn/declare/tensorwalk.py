"""Walks over a Tensor's expression graph: the named arrays it reads, its scalars, and rebuilding it.

Every walk visits each node once (graphs share nodes), iteratively where it can.

Examples
--------
>>> import sympy as sp
>>> from symbrnn.declare.tensor import Tensor
>>> W, h = Tensor.symbols("W", (2, 2), kind="param"), Tensor.symbols("h", 2)
>>> e = W @ h.prev + sp.Symbol("b")
>>> sorted(leaves(e)), scalars(e)
([('W', 'param'), ('h', 'prev')], {b})
>>> print(rebuild(e, scalar=lambda s: s * 2))
W @ h_{t-1} + 2*b
"""

from __future__ import annotations

import numpy as np

__all__ = ["leaves", "rebuild", "scalars"]


def _nodes(t):
    """Every node of the graph below ``t`` (``t`` included), each once."""
    stack, seen = [t], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        stack.extend(a for a in node.args if hasattr(a, "op"))


def leaves(t) -> set:
    """The named arrays the expression reads: (name, when) pairs."""
    return {node.extra for node in _nodes(t) if node.op == "leaf"}


def scalars(t) -> set:
    """The free symbols of the scalar operands and constant components (not of the leaves)."""
    found = set()
    for node in _nodes(t):
        if node.op == "const":
            for e in node.tolist() if node.shape else [node.tolist()]:
                found |= _free(e)
        for a in node.args:
            if not hasattr(a, "op"):
                found |= a.free_symbols
    return found


def _free(value) -> set:
    if isinstance(value, list):
        return set().union(*(_free(v) for v in value)) if value else set()
    return value.free_symbols


def rebuild(t, leaf=None, scalar=None):
    """``t`` with each leaf replaced by ``leaf(node)`` and each scalar by ``scalar(e)`` (None keeps it)."""
    tensor = type(t)
    done: dict = {}

    def keep(value, fn):
        new = fn(value) if fn is not None else None
        return value if new is None else new

    def walk(node):
        if id(node) in done:
            return done[id(node)]
        if node.op == "leaf":
            out = keep(node, leaf)
        elif node.op == "const" and scalar is not None:
            flat = node.flat()
            mapped = [keep(e, scalar) for e in flat]
            same = all(m is e for m, e in zip(mapped, flat, strict=True))
            out = node if same else tensor(np.array(mapped, dtype=object).reshape(node.shape))
        else:
            args = tuple(walk(a) if hasattr(a, "op") else keep(a, scalar) for a in node.args)
            same = all(x is y for x, y in zip(args, node.args, strict=True))
            out = node if same else tensor.node(node.op, args, node.shape, node.extra, node.name)
        done[id(node)] = out
        return out

    return walk(t)
