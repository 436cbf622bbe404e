"""The backward step of a cell as array expressions: every quantity's δ at a generic step t, by the rule table.

Going through the step's quantities from the last computed to the first,
each reader r of a quantity q gives δq a share: r's adjoint δr carried
back through r's own expression by the rules of :mod:`.rules` to its
reading of q. A reader at the same step gives ``δq_t`` a share in ``δr_t``;
a reader of ``q.prev`` gives it a share in ``δr_{t+1}`` (the implicit part,
through the next step); the loss's adjoint is 1. Every param gets its
step's share (the contribution to dL/dθ) the same way. The result is a
set of templates in generic time: leaves at ``now`` (t), ``prev`` (t − 1)
and ``next`` (t + 1), instantiated per step by renaming leaves, so a
derivation costs O(cell) once and O(cell) per step, at any array size.

Examples
--------
>>> from symbrnn.cells import elman
>>> sweep = StepSweep(elman(2, 3, 1))
>>> for a in sweep.deltas["h"]:
...     print(a.label, "|", a.expr)
through yhat_t | V.T @ δyhat_t
>>> for a in sweep.deltas["a"]:
...     print(a.label, "|", a.expr)
through h_t | δh_t*(1 - h_t**2)
>>> print(sweep.deltas["h"][0].expr, "+", sweep.next_step["h"][0].expr)
V.T @ δyhat_t + U.T @ δa_{t+1}
>>> [str(a.expr) for a in sweep.params["U"]]
['outer(δa_t, h_{t-1})']
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ...core import errors
from ...core.kinds import LOSS, PARAM, STATE, TARGET
from ...core.symbols import Now, Prev
from ...declare.cell import Cell
from ...declare.matrixops import add, embed, named
from ...declare.tensor import Tensor, split_component
from .rules import shares

__all__ = ["DELTA", "Addend", "StepSweep", "delta_leaf", "shift"]

DELTA = "δ"
_NEXT = {"now": "next", "prev": "now", "param": "param"}


def delta_leaf(name: str, shape: tuple, when) -> Tensor:
    """The adjoint δq of quantity ``name`` at a time: a named array of q's shape."""
    return named(DELTA + name, shape, when)


def shift(expr):
    """``expr`` one step later: leaves at t - 1 read t, at t read t + 1 (a next-step reader's share)."""
    if not isinstance(expr, Tensor):
        if any(isinstance(s, (Now, Prev)) for s in expr.free_symbols):
            raise errors.ExpressionError("a scalar written in components reads a state of the next step")
        return expr
    return expr.rebuild(leaf=lambda t: _shifted(t))


def _shifted(t: Tensor) -> Tensor | None:
    name, when = t.extra
    if when not in _NEXT:
        raise errors.ExpressionError(f"{name} at {when!r} in a step's template")  # pragma: no cover
    return None if when == "param" else Tensor.node("leaf", (), t.shape, (name, _NEXT[when]), t.name)


@dataclass(frozen=True)
class Addend:
    """One share of a δ (or of a param's contribution): through which reader, and its expression.

    ``label`` is ``explicit`` (the loss reads the quantity), ``through r_t`` (a reader at
    the same step) or ``through r_{t+1}`` (a reader of its previous value, one step later).
    """

    label: str
    reader: str
    expr: object


class StepSweep:
    """The templates of one backward step of ``cell`` (its vector and matrix quantities at the operation level).

    Attributes
    ----------
    deltas : dict
        Quantity (computed or input) -> the addends of δq_t from readers at step t.
    next_step : dict
        State -> the addends of δs_t from readers of s.prev at step t + 1 (with δ at t + 1);
        δs_0 is their sum at t = 0.
    params : dict
        Param -> the addends of its share at step t of dL/dθ.
    """

    def __init__(self, cell: Cell):
        cell.validate()
        self.cell = cell
        self.order = cell.order()
        computed = [n for n in cell.names() if cell.kind(n) not in (PARAM, LOSS, TARGET)]
        self.deltas: dict[str, list[Addend]] = {n: [] for n in computed}
        self.next_step: dict[str, list[Addend]] = {s: [] for s in cell.names(STATE)}
        self.params: dict[str, list[Addend]] = {p: [] for p in cell.names(PARAM)}
        self._folds = {cell.expr(q).key: cell.symbol(q) for q in self.order
                       if isinstance(cell.expr(q), Tensor) and cell.expr(q).op != "leaf"}
        for r in reversed(self.order):
            self._backprop(r)

    def _label(self, reader: str, next_step: bool) -> str:
        if self.cell.kind(reader) == LOSS:
            return "explicit"
        return f"through {reader}_{{t+1}}" if next_step else f"through {reader}_t"

    def _backprop(self, r: str) -> None:
        cell = self.cell
        expr, shape = cell.expr(r), cell.shape(r)
        if cell.kind(r) != LOSS and not self.deltas[r] and not self.next_step.get(r):
            return  # nothing reads r: its δ is 0
        g = sp.S.One if cell.kind(r) == LOSS else delta_leaf(r, shape, "now")
        if not isinstance(expr, Tensor):
            self._scalar(r, expr, g)
            return
        adjoint: dict[int, list] = {id(expr): [g]}
        for node in _reverse_topological(expr):
            if id(node) not in adjoint:
                continue
            gn = add(*adjoint[id(node)])
            if node.op == "leaf":
                self._route(r, node.extra, gn)
                continue
            out = cell.symbol(r) if node is expr else node  # the root's value is the quantity itself: h_t
            for operand, share in zip(node.args, shares(node, gn, out=out), strict=True):
                if share is None:
                    continue
                if isinstance(operand, Tensor):
                    adjoint.setdefault(id(operand), []).append(share)
                else:
                    self._scalar(r, operand, share)

    def _scalar(self, r: str, expr: sp.Expr, g) -> None:
        """A scalar operand's share, given to every symbol it reads (a component to its array's entry)."""
        for u in sorted(expr.free_symbols, key=sp.default_sort_key):
            part = sp.diff(expr, u)
            if part == 0:
                continue
            share = g * part if not (isinstance(g, sp.Basic) and g == 1) else part
            when = "prev" if isinstance(u, Prev) else "now" if isinstance(u, Now) else "param"
            split = split_component(u.name)
            if split is not None and split[0] in self.cell:
                name, index = split
                self._route(r, (name, when), embed(share, index, self.cell.shape(name)))
            elif u.name in self.cell:
                self._route(r, (u.name, when), share)

    def _route(self, r: str, leaf: tuple, share) -> None:
        name, when = leaf
        share = self.fold(share)
        if when == "param":
            self.params[name].append(Addend(self._label(r, False), r, share))
        elif when == "prev":
            self.next_step[name].append(Addend(self._label(r, True), r, shift(share)))
        elif name in self.deltas:
            self.deltas[name].append(Addend(self._label(r, False), r, share))

    def fold(self, expr):
        """``expr`` with every part that is a quantity's expression written as the quantity (ŷ_t, not softmax(z_t))."""
        if not isinstance(expr, Tensor) or not self._folds:
            return expr
        done: dict[int, Tensor] = {}

        def walk(t):
            if not isinstance(t, Tensor):
                return t
            if id(t) not in done:
                named = self._folds.get(t.key)
                if named is not None and t.op != "leaf":
                    done[id(t)] = named
                else:
                    args = tuple(walk(a) for a in t.args)
                    same = all(x is y for x, y in zip(args, t.args, strict=True))
                    done[id(t)] = t if same else Tensor.node(t.op, args, t.shape, t.extra, t.name)
            return done[id(t)]

        return walk(expr)


def _reverse_topological(root: Tensor) -> list[Tensor]:
    """The nodes of ``root``'s graph, each once, every node before the nodes it reads (reversed post-order)."""
    post, seen, stack = [], set(), [(root, False)]
    while stack:
        t, done = stack.pop()
        if done:
            post.append(t)
            continue
        if id(t) in seen:
            continue
        seen.add(id(t))
        stack.append((t, True))
        stack.extend((a, False) for a in reversed(t.args) if isinstance(a, Tensor) and id(a) not in seen)
    return post[::-1]
